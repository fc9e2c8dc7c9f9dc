package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/boltstore"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts []boltstore.Option
	}{
		{"sync", nil},
		{"nosync", []boltstore.Option{boltstore.WithNoSync()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				s, err := boltstore.Open(filepath.Join(t.TempDir(), "tagwall.db"), tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}
