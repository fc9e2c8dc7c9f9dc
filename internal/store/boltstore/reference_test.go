package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/boltstore"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// errClass reduces an error to the sentinel callers branch on.
func errClass(err error) error {
	for _, s := range []error{store.ErrNotFound, store.ErrExists, store.ErrConflict} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// TestAgainstReference applies the same random operations on a tiny key
// universe to boltstore and to memstore (the slow reference) and requires
// the same results, the same final contents and the same watch history.
func TestAgainstReference(t *testing.T) {
	ctx := context.Background()
	keys := []string{"a", "a/1", "a/2", "ab", "b/1"}
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			ref := memstore.New()
			defer ref.Close()
			got := open(t, filepath.Join(t.TempDir(), "ref.db"), boltstore.WithNoSync())
			for i := range 300 {
				key := keys[rng.IntN(len(keys))]
				val := []byte(fmt.Sprint(i))
				ifRev := int64(0)
				if rng.IntN(2) == 0 {
					if kv, err := ref.Get(ctx, key); err == nil && rng.IntN(3) > 0 {
						ifRev = kv.ModRevision
					} else {
						ifRev = rng.Int64N(int64(i) + 2)
					}
				}
				op := rng.IntN(4)
				call := func(s store.Store) (int64, error) {
					switch op {
					case 0:
						return s.Create(ctx, key, val)
					case 1:
						return s.Update(ctx, key, val, ifRev)
					case 2:
						return s.Put(ctx, key, val)
					default:
						return s.Delete(ctx, key, ifRev)
					}
				}
				wantRev, wantErr := call(ref)
				gotRev, gotErr := call(got)
				if gotRev != wantRev || errClass(gotErr) != errClass(wantErr) {
					t.Fatalf("op %d (%d on %q if %d): got %d, %v; reference %d, %v", i, op, key, ifRev, gotRev, gotErr, wantRev, wantErr)
				}
			}
			wantKVs, wantRev, _ := ref.List(ctx, "")
			gotKVs, gotRev, _ := got.List(ctx, "")
			if gotRev != wantRev || !reflect.DeepEqual(gotKVs, wantKVs) {
				t.Fatalf("final List at %d: %+v\nreference at %d: %+v", gotRev, gotKVs, wantRev, wantKVs)
			}
			for _, prefix := range []string{"", "a/", "a"} {
				want := drain(t, ref, prefix)
				if have := drain(t, got, prefix); !reflect.DeepEqual(have, want) {
					t.Fatalf("watch %q: %d events, reference %d", prefix, len(have), len(want))
				}
			}
		})
	}
}

// drain returns the watch history under prefix from the start, up to a
// marker key it writes under the prefix.
func drain(tb testing.TB, s store.Store, prefix string) []store.Event {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	marker := prefix + "~end"
	if _, err := s.Put(ctx, marker, nil); err != nil {
		tb.Fatal(err)
	}
	ch, err := s.Watch(ctx, prefix, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var evs []store.Event
	for ev := range ch {
		evs = append(evs, ev)
		if ev.KV.Key == marker {
			break
		}
	}
	return evs
}
