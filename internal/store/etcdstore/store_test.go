package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	client := newClient(t, etcdtest.Endpoints(etcdtest.Start(t, 1)))
	storetest.Run(t, func(t *testing.T) store.Store {
		return etcdstore.New(client, "/tagwall-test/"+t.Name()+"/")
	})
}

func TestNamespaces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := newClient(t, etcdtest.Endpoints(etcdtest.Start(t, 1)))
	a, b := etcdstore.New(client, "/a/"), etcdstore.New(client, "/b/")
	if _, err := a.Create(ctx, "k", []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("from b")); err != nil {
		t.Fatalf("same key in another namespace: %v", err)
	}
	kvs, _, err := a.List(ctx, "")
	if err != nil || len(kvs) != 1 || kvs[0].Key != "k" || string(kvs[0].Value) != "from a" {
		t.Fatalf("List of namespace a = %+v, %v", kvs, err)
	}
	raw, err := client.Get(ctx, "/b/k")
	if err != nil || len(raw.Kvs) != 1 {
		t.Fatalf("raw key /b/k: %v", err)
	}
}

func TestCompacted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := newClient(t, etcdtest.Endpoints(etcdtest.Start(t, 1)))
	s := etcdstore.New(client, "/c/")
	first, _ := s.Put(ctx, "k", []byte("1"))
	s.Put(ctx, "k", []byte("2"))
	last, _ := s.Put(ctx, "k", []byte("3"))
	if _, err := client.Compact(ctx, last); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Watch(ctx, "", first); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch from a compacted revision: %v, want ErrCompacted", err)
	}
	ch, err := s.Watch(ctx, "", last-1)
	if err != nil {
		t.Fatalf("Watch from the compaction point: %v", err)
	}
	if ev := <-ch; ev.KV.ModRevision != last {
		t.Fatalf("first event at %d, want %d", ev.KV.ModRevision, last)
	}
}
