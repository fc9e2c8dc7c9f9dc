package memstore_test

import (
	"testing"

	"github.com/tagwall/tagwall/internal/state/memstore"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
