package etcdstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// retry runs op until it succeeds or ctx ends: the client may need a
// moment to fail over from a stopped member.
func retry[T any](ctx context.Context, tb testing.TB, what string, op func() (T, error)) T {
	tb.Helper()
	for {
		v, err := op()
		if err == nil {
			return v
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("%s: %v (gave up: %v)", what, err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func nextEvent(ctx context.Context, tb testing.TB, ch <-chan store.Event) store.Event {
	tb.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			tb.Fatal("watch channel closed")
		}
		return ev
	case <-ctx.Done():
		tb.Fatal("no event before timeout")
	}
	panic("unreachable")
}

// TestWatchSurvivesRestart restarts the only member under a live watch:
// the client reconnects and the watch resumes without losing the write
// made after the restart.
func TestWatchSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	members := etcdtest.Start(t, 1)
	client := newClient(t, etcdtest.Endpoints(members))
	s := etcdstore.New(client, "/r/")
	ch, err := s.Watch(ctx, "", mustRev(ctx, t, s))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.Put(ctx, "k", []byte("before"))
	if ev := nextEvent(ctx, t, ch); ev.KV.ModRevision != before {
		t.Fatalf("event at %d, want %d", ev.KV.ModRevision, before)
	}
	members[0].Stop()
	if err := members[0].Start(); err != nil {
		t.Fatal(err)
	}
	after := retry(ctx, t, "Put after restart", func() (int64, error) {
		return s.Put(ctx, "k", []byte("after"))
	})
	ev := nextEvent(ctx, t, ch)
	if ev.KV.ModRevision != after || string(ev.KV.Value) != "after" {
		t.Fatalf("event after restart %q at %d, want %q at %d", ev.KV.Value, ev.KV.ModRevision, "after", after)
	}
}

// TestClusterSurvivesMemberLoss stops one member of three: the store keeps
// writing and reading through the other two, and a watch keeps delivering.
func TestClusterSurvivesMemberLoss(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	members := etcdtest.Start(t, 3)
	client := newClient(t, etcdtest.Endpoints(members))
	s := etcdstore.New(client, "/ha/")
	ch, err := s.Watch(ctx, "", mustRev(ctx, t, s))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	members[0].Stop() // the client's first endpoint
	rev := retry(ctx, t, "Create after losing a member", func() (int64, error) {
		return s.Create(ctx, "after-loss", []byte("ok"))
	})
	for i := range 5 {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i), []byte("v2")); err != nil {
			t.Fatalf("Put %d with two of three members: %v", i, err)
		}
	}
	kv, err := s.Get(ctx, "after-loss")
	if err != nil || kv.ModRevision != rev {
		t.Fatalf("Get with two of three members = %+v, %v", kv, err)
	}
	kvs, _, err := s.List(ctx, "k/")
	if err != nil || len(kvs) != 5 {
		t.Fatalf("List with two of three members: %d keys, %v", len(kvs), err)
	}
	// The watch sees all 3 + 1 + 5 writes in order, across the failover.
	var last int64
	for range 9 {
		ev := nextEvent(ctx, t, ch)
		if ev.KV.ModRevision <= last {
			t.Fatalf("event at %d after %d", ev.KV.ModRevision, last)
		}
		last = ev.KV.ModRevision
	}
}

func mustRev(ctx context.Context, tb testing.TB, s store.Store) int64 {
	tb.Helper()
	rev, err := s.Revision(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return rev
}
