package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
)

// testConcurrentCAS starts rounds in which many goroutines Update one key
// with the same expected revision: exactly one must win each round and the
// rest must get ErrConflict.
func testConcurrentCAS(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	const workers, rounds = 8, 15
	rev := mustPut(t, s, "cas", "start")
	for round := range rounds {
		var (
			wins, conflicts atomic.Int32
			winRev          atomic.Int64
			start           = make(chan struct{})
			wg              sync.WaitGroup
		)
		for w := range workers {
			wg.Go(func() {
				<-start
				r, err := s.Update(ctx, "cas", []byte(fmt.Sprintf("%d/%d", round, w)), rev)
				switch {
				case err == nil:
					wins.Add(1)
					winRev.Store(r)
				case errors.Is(err, store.ErrConflict):
					conflicts.Add(1)
				default:
					t.Errorf("round %d worker %d: %v", round, w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != workers-1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and %d", round, wins.Load(), conflicts.Load(), workers-1)
		}
		kv := mustGet(t, s, "cas")
		if kv.ModRevision != winRev.Load() || kv.ModRevision <= rev {
			t.Fatalf("round %d: key at revision %d, winner wrote %d, previous %d", round, kv.ModRevision, winRev.Load(), rev)
		}
		rev = kv.ModRevision
	}
}

// testConcurrentIncrement has goroutines increment a counter with a
// read-modify-CAS loop; no increment may be lost.
func testConcurrentIncrement(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	const workers, each = 4, 10
	if _, err := s.Create(ctx, "n", []byte("0")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if err := increment(ctx, s, "n"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := string(mustGet(t, s, "n").Value); got != strconv.Itoa(workers*each) {
		t.Fatalf("counter %s, want %d", got, workers*each)
	}
}

func increment(ctx context.Context, s store.Store, key string) error {
	for {
		kv, err := s.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("get %q: %w", key, err)
		}
		n, err := strconv.Atoi(string(kv.Value))
		if err != nil {
			return fmt.Errorf("parse counter %q: %w", kv.Value, err)
		}
		_, err = s.Update(ctx, key, []byte(strconv.Itoa(n+1)), kv.ModRevision)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("update %q: %w", key, err)
		}
	}
}

func testClose(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	mustPut(t, s, "k", "v")
	ch := mustWatch(t, ctx, s, "", mustRevision(t, s))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectClosed(t, ch)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ops := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "k"); return err }},
		{"List", func() error { _, _, err := s.List(ctx, ""); return err }},
		{"Count", func() error { _, err := s.Count(ctx, ""); return err }},
		{"Create", func() error { _, err := s.Create(ctx, "new", nil); return err }},
		{"Update", func() error { _, err := s.Update(ctx, "k", nil, 0); return err }},
		{"Put", func() error { _, err := s.Put(ctx, "k", nil); return err }},
		{"Delete", func() error { _, err := s.Delete(ctx, "k", 0); return err }},
		{"Watch", func() error { _, err := s.Watch(ctx, "", 0); return err }},
		{"Revision", func() error { _, err := s.Revision(ctx); return err }},
	}
	for _, op := range ops {
		wantErr(t, op.name+" after Close", op.call(), store.ErrClosed)
	}
}

func testContextCanceled(t *testing.T, s store.Store) {
	mustPut(t, s, "k", "v")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ops := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "k"); return err }},
		{"List", func() error { _, _, err := s.List(ctx, ""); return err }},
		{"Count", func() error { _, err := s.Count(ctx, ""); return err }},
		{"Create", func() error { _, err := s.Create(ctx, "new", nil); return err }},
		{"Update", func() error { _, err := s.Update(ctx, "k", nil, 0); return err }},
		{"Put", func() error { _, err := s.Put(ctx, "new", nil); return err }},
		{"Delete", func() error { _, err := s.Delete(ctx, "k", 0); return err }},
		{"Revision", func() error { _, err := s.Revision(ctx); return err }},
	}
	for _, op := range ops {
		wantErr(t, op.name+" with a canceled context", op.call(), context.Canceled)
	}
	if _, err := s.Get(ctxFor(t), "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a write with a canceled context took effect: Get = %v", err)
	}
	if got := mustGet(t, s, "k"); string(got.Value) != "v" {
		t.Fatalf("a write with a canceled context took effect: %q", got.Value)
	}
	// Watch with an ended context either fails or returns a closed channel.
	if ch, err := s.Watch(ctx, "", 0); err == nil {
		expectClosed(t, ch)
	} else if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch with a canceled context: %v", err)
	}
}
