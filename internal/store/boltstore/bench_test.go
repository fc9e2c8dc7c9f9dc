package boltstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tagwall/tagwall/internal/store/boltstore"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

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
			storetest.BenchPut(b, open(b, filepath.Join(b.TempDir(), "bench.db"), m.opts...))
		})
	}
}

func BenchmarkGet(b *testing.B) {
	storetest.BenchGet(b, open(b, filepath.Join(b.TempDir(), "bench.db"), boltstore.WithNoSync()))
}

func BenchmarkCAS(b *testing.B) {
	for _, m := range benchModes() {
		b.Run(m.name, func(b *testing.B) {
			storetest.BenchCAS(b, open(b, filepath.Join(b.TempDir(), "bench.db"), m.opts...))
		})
	}
}

// BenchmarkCheck measures the check Open runs, on a store of about 48 MiB
// (20,000 keys of 512 bytes and their log): full and quick mode.
func BenchmarkCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "tagwall.db")
	s := open(b, path, boltstore.WithNoSync())
	ctx := context.Background()
	val := bytes.Repeat([]byte("v"), 512)
	for i := range 20_000 {
		if _, err := s.Put(ctx, fmt.Sprintf("clusters/%06d", i), val); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.Logf("%d MiB", fi.Size()>>20)
	for _, m := range []struct {
		name string
		opts []boltstore.CheckOption
	}{{"full", nil}, {"quick", []boltstore.CheckOption{boltstore.CheckQuick()}}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := boltstore.Check(path, m.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuotaCount compares what a create's quota check reads: Count of
// a prefix holding 1,000 records of 2 KiB (a subscription at the default
// cluster quota) against the List the check used before.
func BenchmarkQuotaCount(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"), boltstore.WithNoSync())
	ctx := context.Background()
	val := bytes.Repeat([]byte("x"), 2048)
	for i := range 1000 {
		if _, err := s.Put(ctx, fmt.Sprintf("arm/clusters/sub/rg/c%04d", i), val); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Count", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n, err := s.Count(ctx, "arm/clusters/sub/"); err != nil || n != 1000 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("List", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if kvs, _, err := s.List(ctx, "arm/clusters/sub/"); err != nil || len(kvs) != 1000 {
				b.Fatal(len(kvs), err)
			}
		}
	})
}
