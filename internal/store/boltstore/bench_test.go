package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tagwall/tagwall/internal/store/boltstore"
)

// benchValue is about the size of a stored managed-cluster document.
var benchValue = make([]byte, 2048)

func benchModes() []struct {
	name string
	opts []boltstore.Option
} {
	return []struct {
		name string
		opts []boltstore.Option
	}{
		{"sync", nil},
		{"nosync", []boltstore.Option{boltstore.WithNoSync()}},
	}
}

func BenchmarkPut(b *testing.B) {
	for _, m := range benchModes() {
		b.Run(m.name, func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "bench.db"), m.opts...)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i%1000), benchValue); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"), boltstore.WithNoSync())
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

func BenchmarkCAS(b *testing.B) {
	for _, m := range benchModes() {
		b.Run(m.name, func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "bench.db"), m.opts...)
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
		})
	}
}
