package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
)

// benchValue is about the size of a stored managed-cluster document.
var benchValue = make([]byte, 2048)

// BenchPut measures Put of 2 KiB values cycling through 1,000 keys.
func BenchPut(b *testing.B, s store.Store) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i%1000), benchValue); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchGet writes 1,000 keys of 2 KiB, then measures Get over them.
func BenchGet(b *testing.B, s store.Store) {
	ctx := context.Background()
	for i := range 1000 {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, fmt.Sprintf("k/%d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchCAS measures a chain of Update(key, v, ifRev), each conditioned on
// the previous write's revision.
func BenchCAS(b *testing.B, s store.Store) {
	ctx := context.Background()
	rev, err := s.Put(ctx, "cas", benchValue)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rev, err = s.Update(ctx, "cas", benchValue, rev); err != nil {
			b.Fatal(err)
		}
	}
}
