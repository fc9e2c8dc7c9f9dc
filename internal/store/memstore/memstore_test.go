package memstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.WithRetention(2))
	defer s.Close()
	for range 5 {
		s.Put(ctx, "k", nil)
	}
	if _, err := s.Watch(ctx, "", 2); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch from 2 of 5 keeping 2: %v", err)
	}
	ch, err := s.Watch(ctx, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.KV.ModRevision != 4 {
		t.Fatalf("first kept event at %d, want 4", ev.KV.ModRevision)
	}
}
