package boltstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var faultSink byte

// TestGuardRecovers checks the second line of defence: a panic, and a
// memory fault like a read from an unmapped page of bbolt's map, inside
// guard become a *CorruptError instead of killing the process.
func TestGuardRecovers(t *testing.T) {
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"panic", func() error { panic("pgid out of range") }, "pgid out of range"},
		{"fault on an unmapped page", func() error {
			b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE)
			if err != nil {
				t.Skip(err)
			}
			if err := syscall.Munmap(b); err != nil {
				t.Skip(err)
			}
			faultSink = b[100] // the slice still points at the unmapped page
			return nil
		}, "invalid memory address"},
		{"no panic", func() error { return nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := guard("/data/tagwall.db", "check", tt.fn)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "/data/tagwall.db") {
				t.Fatalf("guard: %v, want ErrCorrupt saying %q", err, tt.want)
			}
		})
	}
}

// TestLockHolderFallsBackToPidFile checks the pid file is read when
// /proc/locks names no holder (other systems, or a holder in another pid
// namespace).
func TestLockHolderFallsBackToPidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagwall.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if e := lockHolder(path); e.PID != 0 {
		t.Fatalf("no lock, no pid file: pid %d", e.PID)
	}
	if err := os.WriteFile(pidFile(path), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := lockHolder(path)
	if e.PID != 4242 || !strings.Contains(e.Error(), "(pid 4242)") {
		t.Fatalf("lockHolder = %+v: %v", e, e)
	}
}
