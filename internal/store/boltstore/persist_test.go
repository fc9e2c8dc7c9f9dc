package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/boltstore"
)

func open(tb testing.TB, path string, opts ...boltstore.Option) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(path, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tagwall.db")
	s := open(t, path)
	c, _ := s.Create(ctx, "clusters/a", []byte("A"))
	u, _ := s.Put(ctx, "clusters/a", []byte("A2"))
	s.Put(ctx, "clusters/b", []byte("B"))
	d, _ := s.Delete(ctx, "clusters/b", 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	kv, err := s.Get(ctx, "clusters/a")
	if err != nil || string(kv.Value) != "A2" || kv.CreateRevision != c || kv.ModRevision != u {
		t.Fatalf("after reopen Get = %+v, %v; want A2 created %d modified %d", kv, err, c, u)
	}
	if _, err := s.Get(ctx, "clusters/b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted key after reopen: %v", err)
	}
	if rev, _ := s.Revision(ctx); rev != d {
		t.Fatalf("revision after reopen %d, want %d", rev, d)
	}
	next, err := s.Put(ctx, "clusters/c", nil)
	if err != nil || next != d+1 {
		t.Fatalf("first write after reopen at %d (%v), want %d", next, err, d+1)
	}
}

func TestWatchResumesAcrossReopen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "tagwall.db")
	s := open(t, path)
	ch, err := s.Watch(ctx, "k/", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s.Put(ctx, fmt.Sprintf("k/%d", i), []byte("v"))
	}
	var last int64
	for range 3 {
		last = (<-ch).KV.ModRevision
	}
	s.Put(ctx, "k/missed-1", nil) // not read before the restart
	s.Close()
	for range ch { // Close ends the watch
	}

	s = open(t, path)
	s.Put(ctx, "k/missed-2", nil)
	ch, err = s.Watch(ctx, "k/", last)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"k/missed-1", "k/missed-2"} {
		select {
		case ev := <-ch:
			if ev.KV.Key != want {
				t.Fatalf("after reopen got %q, want %q", ev.KV.Key, want)
			}
		case <-ctx.Done():
			t.Fatalf("no event %q after reopen", want)
		}
	}
}

func TestCompaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "tagwall.db")
	s := open(t, path, boltstore.WithRetention(5), boltstore.WithNoSync())
	for i := range 12 {
		s.Put(ctx, "k", []byte(fmt.Sprint(i)))
	}
	// Revisions 8..12 are kept: a watch from 7 sees them all, from 6 fails.
	tests := []struct {
		name    string
		from    int64
		wantErr error
	}{
		{"oldest kept", 7, nil},
		{"current", 12, nil},
		{"future", 20, nil},
		{"compacted", 6, store.ErrCompacted},
		{"whole history", 0, store.ErrCompacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Watch(ctx, "", tt.from)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Watch from %d: %v, want %v", tt.from, err, tt.wantErr)
			}
		})
	}
	ch, _ := s.Watch(ctx, "", 7)
	for want := int64(8); want <= 12; want++ {
		if ev := <-ch; ev.KV.ModRevision != want {
			t.Fatalf("event at %d, want %d", ev.KV.ModRevision, want)
		}
	}
	// Compaction survives a reopen (with the default retention the old
	// records stay gone).
	s.Close()
	s = open(t, path)
	if _, err := s.Watch(ctx, "", 6); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch from 6 after reopen: %v", err)
	}
}

// TestLaggingWatcherClosed checks that a watcher whose history is compacted
// away before it reads it gets its channel closed rather than a gap.
func TestLaggingWatcherClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := open(t, filepath.Join(t.TempDir(), "tagwall.db"), boltstore.WithRetention(3), boltstore.WithNoSync())
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		s.Put(ctx, "k", []byte(fmt.Sprint(i)))
	}
	var last int64
	for ev := range ch {
		if ev.KV.ModRevision != last+1 {
			t.Fatalf("gap: event %d after %d", ev.KV.ModRevision, last)
		}
		last = ev.KV.ModRevision
		if last == 100 {
			break
		}
	}
	if last == 100 {
		t.Skip("watcher kept up with every write; nothing was compacted under it")
	}
	if _, err := s.Watch(ctx, "", last); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("re-watch from %d: %v, want ErrCompacted", last, err)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagwall.db")
	open(t, path)
	_, err := boltstore.Open(path, boltstore.WithOpenTimeout(100*time.Millisecond))
	if err == nil {
		t.Fatal("second Open of a locked file succeeded")
	}
}
