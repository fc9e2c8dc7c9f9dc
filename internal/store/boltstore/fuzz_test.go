package boltstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tagwall/tagwall/internal/store/boltstore"
)

// smallStore returns the bytes of a store with a few records (5 pages).
func smallStore(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "tagwall.db")
	s, err := boltstore.Open(path, boltstore.WithNoSync())
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range []string{"clusters/a", "clusters/b", "authn/principals/x"} {
		if _, err := s.Put(context.Background(), k, []byte(`{"v":1}`)); err != nil {
			tb.Fatal(err)
		}
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzCheck feeds arbitrary files to Check. Properties: no panic or
// fault; the answer is a Report or an ErrCorrupt; a file Check accepts can
// be read whole by bbolt without a panic or fault.
func FuzzCheck(f *testing.F) {
	valid := smallStore(f)
	f.Add(valid)                                                                // a sound store
	f.Add(valid[:len(valid)/2])                                                 // truncated
	f.Add([]byte{})                                                             // empty
	f.Add([]byte("not a bbolt file at all"))                                    // garbage
	f.Add(append(append([]byte{}, valid[:4096*2]...), make([]byte, 4096*3)...)) // zeroed data pages
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "tagwall.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := boltstore.Check(path)
		if err != nil {
			if !errors.Is(err, boltstore.ErrCorrupt) {
				t.Fatalf("Check: %v, want a Report or ErrCorrupt", err)
			}
			return
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			return
		}
		defer db.Close()
		_ = db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
				return b.ForEach(func(_, _ []byte) error { return nil })
			})
		})
	})
}
