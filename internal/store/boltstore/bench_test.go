package boltstore_test

import (
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
