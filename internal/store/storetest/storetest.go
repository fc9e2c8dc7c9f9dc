package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
)

// Timeout bounds each subtest; Watch waits use eventWait.
const (
	subtestTimeout = 20 * time.Second
	eventWait      = 5 * time.Second
	quietWait      = 150 * time.Millisecond
)

// Run runs the conformance suite against stores made by newStore. Each
// subtest gets its own store and closes it when done.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"Update", testUpdate},
		{"Put", testPut},
		{"Delete", testDelete},
		{"RevisionsIncrease", testRevisionsIncrease},
		{"FailedWritesTakeNoRevision", testFailedWrites},
		{"List", testList},
		{"ValuesCopied", testValuesCopied},
		{"EmptyValue", testEmptyValue},
		{"LargeValue", testLargeValue},
		{"WatchFromRevision", testWatchFromRevision},
		{"WatchLive", testWatchLive},
		{"WatchResume", testWatchResume},
		{"WatchCancel", testWatchCancel},
		{"WatchManyWatchers", testWatchManyWatchers},
		{"ConcurrentCAS", testConcurrentCAS},
		{"ConcurrentIncrement", testConcurrentIncrement},
		{"Close", testClose},
		{"ContextCanceled", testContextCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tt.fn(t, s)
		})
	}
}

// ctxFor returns a context that ends with the subtest or after
// subtestTimeout.
func ctxFor(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subtestTimeout)
	tb.Cleanup(cancel)
	return ctx
}

func mustGet(tb testing.TB, s store.Store, key string) store.KV {
	tb.Helper()
	kv, err := s.Get(ctxFor(tb), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return kv
}

func mustPut(tb testing.TB, s store.Store, key, value string) int64 {
	tb.Helper()
	rev, err := s.Put(ctxFor(tb), key, []byte(value))
	if err != nil {
		tb.Fatalf("Put(%q): %v", key, err)
	}
	return rev
}

func mustRevision(tb testing.TB, s store.Store) int64 {
	tb.Helper()
	rev, err := s.Revision(ctxFor(tb))
	if err != nil {
		tb.Fatalf("Revision: %v", err)
	}
	return rev
}

func wantErr(tb testing.TB, op string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Fatalf("%s: got error %v, want %v", op, err, want)
	}
}

func wantKV(tb testing.TB, got store.KV, key, value string, createRev, modRev int64) {
	tb.Helper()
	if got.Key != key || !bytes.Equal(got.Value, []byte(value)) ||
		got.CreateRevision != createRev || got.ModRevision != modRev {
		tb.Fatalf("got KV{%q, %q, create %d, mod %d}, want KV{%q, %q, create %d, mod %d}",
			got.Key, got.Value, got.CreateRevision, got.ModRevision, key, value, createRev, modRev)
	}
}
