package boltstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tagwall/tagwall/internal/store/boltstore"
)

const testPageSize = 4096 // bbolt's page size on the machines tests run on (os.Getpagesize)

// fixtureStore writes a store with enough records for branch pages, an
// overflow page and a freelist, closes it and returns its path and size.
func fixtureStore(tb testing.TB) (string, int64) {
	tb.Helper()
	if os.Getpagesize() != testPageSize {
		tb.Skipf("page size %d: the damage offsets assume %d", os.Getpagesize(), testPageSize)
	}
	path := filepath.Join(tb.TempDir(), "tagwall.db")
	s, err := boltstore.Open(path, boltstore.WithNoSync())
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for i := range 400 {
		if _, err := s.Put(ctx, fmt.Sprintf("clusters/%04d", i), []byte(strings.Repeat("v", 200))); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "big", []byte(strings.Repeat("b", 3*testPageSize))); err != nil {
		tb.Fatal(err)
	}
	for i := range 50 {
		if _, err := s.Delete(ctx, fmt.Sprintf("clusters/%04d", i*3), 0); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, fi.Size()
}

// overwrite writes n random bytes at off.
func overwrite(tb testing.TB, path string, off int64, n int, r *rand.Rand) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func TestDamagedFileIsReported(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tb testing.TB, path string, size int64, r *rand.Rand)
		want   string // substring of the error
	}{
		{"zero bytes", func(tb testing.TB, p string, _ int64, _ *rand.Rand) { truncate(tb, p, 0) }, "empty (0 bytes)"},
		{"truncated to half", func(tb testing.TB, p string, s int64, _ *rand.Rand) { truncate(tb, p, s/2) }, "truncated"},
		{"truncated to three pages", func(tb testing.TB, p string, _ int64, _ *rand.Rand) { truncate(tb, p, 3*testPageSize) }, "truncated"},
		{"truncated inside meta 0", func(tb testing.TB, p string, _ int64, _ *rand.Rand) { truncate(tb, p, 50) }, "no valid meta page"},
		{"both meta pages garbled", func(tb testing.TB, p string, _ int64, r *rand.Rand) {
			overwrite(tb, p, 16, 64, r)
			overwrite(tb, p, testPageSize+16, 64, r)
		}, "no valid meta page"},
		{"every data page garbled", func(tb testing.TB, p string, s int64, r *rand.Rand) {
			for off := int64(2 * testPageSize); off < s; off += testPageSize {
				overwrite(tb, p, off, 64, r)
			}
		}, "page"},
		{"branch child far outside the file", func(tb testing.TB, p string, _ int64, _ *rand.Rand) {
			setChild(tb, p, 1<<40) // plain bbolt: index out of range panic
		}, "beyond the high-water mark"},
		{"branch child past the mapping", func(tb testing.TB, p string, _ int64, _ *rand.Rand) {
			setChild(tb, p, 1<<22) // plain bbolt: a fault 16 GiB past the map
		}, "beyond the high-water mark"},
		{"not a bbolt file", func(tb testing.TB, p string, _ int64, _ *rand.Rand) {
			if err := os.WriteFile(p, []byte(strings.Repeat("{\"json\": true}\n", 1000)), 0o600); err != nil {
				tb.Fatal(err)
			}
		}, "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, size := fixtureStore(t)
			tt.damage(t, path, size, rand.New(rand.NewPCG(1, 2)))
			for _, step := range []struct {
				name string
				run  func() error
			}{
				{"open", func() error { s, err := boltstore.Open(path); closeIf(s); return err }},
				{"check", func() error { _, err := boltstore.Check(path); return err }},
			} {
				err := step.run()
				if !errors.Is(err, boltstore.ErrCorrupt) {
					t.Fatalf("%s: %v, want ErrCorrupt", step.name, err)
				}
				var ce *boltstore.CorruptError
				if !errors.As(err, &ce) || ce.Path != path {
					t.Fatalf("%s: %v: no *CorruptError for %s", step.name, err, path)
				}
				for _, w := range []string{tt.want, path, "tagwall store check", "backup"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: %q does not say %q", step.name, err, w)
					}
				}
			}
		})
	}
}

// setChild points the first child of the "kv" bucket's root (a branch
// page in fixtureStore) at page id.
func setChild(tb testing.TB, path string, id uint64) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	var root int64
	_ = db.View(func(tx *bolt.Tx) error { root = int64(tx.Bucket([]byte("kv")).Root()); return nil })
	_ = db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 16)
	if _, err := f.ReadAt(hdr, root*testPageSize); err != nil || binary.NativeEndian.Uint16(hdr[8:]) != 0x01 {
		tb.Fatalf("kv root page %d is not a branch page (%v)", root, err)
	}
	if _, err := f.WriteAt(binary.NativeEndian.AppendUint64(nil, id), root*testPageSize+16+8); err != nil {
		tb.Fatal(err)
	}
}

func truncate(tb testing.TB, path string, n int64) {
	tb.Helper()
	if err := os.Truncate(path, n); err != nil {
		tb.Fatal(err)
	}
}

func closeIf(s *boltstore.Store) {
	if s != nil {
		_ = s.Close()
	}
}

// TestOneMetaGarbledOpensWithNote checks bbolt's crash recovery: with one
// meta page invalid the other is used and the finding is a note.
func TestOneMetaGarbledOpensWithNote(t *testing.T) {
	for _, page := range []int64{0, 1} {
		t.Run(fmt.Sprint("meta ", page), func(t *testing.T) {
			path, _ := fixtureStore(t)
			overwrite(t, path, page*testPageSize+16, 64, rand.New(rand.NewPCG(3, 4)))
			rep, err := boltstore.Check(path)
			if err != nil || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], fmt.Sprintf("meta page %d is invalid", page)) {
				t.Fatalf("Check = %+v, %v; want one note on meta page %d", rep, err, page)
			}
			s := open(t, path)
			if len(s.Notes()) != 1 {
				t.Fatalf("Open notes %q, want one", s.Notes())
			}
			if _, err := s.Get(context.Background(), "clusters/0001"); err != nil {
				t.Fatalf("read after recovery: %v", err)
			}
		})
	}
}

// TestRandomDamageNeverPanics overwrites random bytes in random pages
// (meta pages included): Open and Check must each either succeed, with
// every record then readable, or return ErrCorrupt; a fault in bbolt's
// memory map would kill the test binary.
func TestRandomDamageNeverPanics(t *testing.T) {
	path0, size := fixtureStore(t)
	clean, err := os.ReadFile(path0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.Check(path0)
	if err != nil {
		t.Fatal(err)
	}
	pages := int64(rep.InUse) // damage beyond the high-water mark is harmless: aim inside it
	t.Logf("%d bytes, %d pages in use", size, pages)
	detected := 0
	const rounds = 150
	for seed := range uint64(rounds) {
		r := rand.New(rand.NewPCG(seed, 99))
		path := filepath.Join(t.TempDir(), "tagwall.db")
		if err := os.WriteFile(path, clean, 0o600); err != nil {
			t.Fatal(err)
		}
		for range 1 + r.IntN(4) {
			page := r.Int64N(pages)
			overwrite(t, path, page*testPageSize+r.Int64N(testPageSize-64), 1+r.IntN(64), r)
		}
		_, cerr := boltstore.Check(path)
		s, err := boltstore.Open(path)
		if (cerr == nil) != (err == nil) && !errors.Is(cerr, boltstore.ErrCorrupt) {
			t.Fatalf("seed %d: Check %v but Open %v", seed, cerr, err)
		}
		if err != nil {
			if !errors.Is(err, boltstore.ErrCorrupt) {
				t.Fatalf("seed %d: Open: %v, want ErrCorrupt or success", seed, err)
			}
			detected++
			continue
		}
		ctx := context.Background()
		_, _, _ = s.List(ctx, "")
		_, _ = s.Put(ctx, "after", []byte("x"))
		_ = s.Close()
	}
	t.Logf("%d of %d damaged files refused (the rest were hit in free space or values)", detected, rounds)
	if detected == 0 {
		t.Fatal("no damage detected in any round")
	}
}

func TestSecondOpenNamesHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagwall.db")
	open(t, path)
	start := time.Now()
	_, err := boltstore.Open(path, boltstore.WithOpenTimeout(200*time.Millisecond))
	var iu *boltstore.InUseError
	if !errors.As(err, &iu) || !errors.Is(err, boltstore.ErrInUse) {
		t.Fatalf("second Open: %v, want *InUseError", err)
	}
	if iu.PID != os.Getpid() {
		t.Errorf("holder pid %d, want this process %d", iu.PID, os.Getpid())
	}
	want := fmt.Sprintf("data dir %s is in use by", filepath.Dir(path))
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("message %q, want %q and the pid", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to fail", d)
	}
	if _, err := boltstore.Check(path, boltstore.CheckTimeout(100*time.Millisecond)); !errors.Is(err, boltstore.ErrInUse) {
		t.Errorf("Check of a file in use: %v, want ErrInUse", err)
	}
}

func TestPidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagwall.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path + ".pid")
	if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(os.Getpid()) {
		t.Fatalf("pid file %q, %v", b, err)
	}
	s.Close()
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pid file after Close: %v", err)
	}
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagwall.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.Open(path); !errors.Is(err, boltstore.ErrCorrupt) {
		t.Fatalf("Open of a 0-byte file: %v, want ErrCorrupt", err)
	}
	s := open(t, path, boltstore.WithAllowEmpty())
	if _, err := s.Put(context.Background(), "k", nil); err != nil {
		t.Fatal(err)
	}
}

func TestQuickCheck(t *testing.T) {
	path, size := fixtureStore(t)
	full, err := boltstore.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	quick, err := boltstore.Check(path, boltstore.CheckQuick())
	if err != nil {
		t.Fatal(err)
	}
	if !quick.Quick || quick.Pages >= full.Pages || full.Keys != 351 {
		t.Fatalf("quick read %d pages, full %d (%d keys); want fewer in quick mode", quick.Pages, full.Pages, full.Keys)
	}
	// Quick mode at Open: a file just above the threshold.
	s := open(t, path, boltstore.WithQuickCheckAbove(size-1))
	if _, err := s.Get(context.Background(), "big"); err != nil {
		t.Fatal(err)
	}
}

func TestBackup(t *testing.T) {
	path, _ := fixtureStore(t)
	out := filepath.Join(t.TempDir(), "backup.db")
	rep, err := boltstore.BackupFile(path, out)
	if err != nil || rep.Keys != 351 {
		t.Fatalf("BackupFile = %+v, %v", rep, err)
	}
	if _, err := boltstore.BackupFile(path, out); !errors.Is(err, os.ErrExist) {
		t.Fatalf("backup over an existing file: %v", err)
	}
	s := open(t, out)
	if kv, err := s.Get(context.Background(), "big"); err != nil || len(kv.Value) != 3*testPageSize {
		t.Fatalf("backup lacks big: %v", err)
	}
	// While a store is open: the file is locked; Store.Backup works.
	if _, err := boltstore.BackupFile(out, filepath.Join(t.TempDir(), "b2.db"), boltstore.CheckTimeout(100*time.Millisecond)); !errors.Is(err, boltstore.ErrInUse) {
		t.Fatalf("BackupFile of an open store: %v, want ErrInUse", err)
	}
	live := filepath.Join(t.TempDir(), "live.db")
	f, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if rep, err := boltstore.Check(live); err != nil || rep.Keys != 351 {
		t.Fatalf("live backup: %+v, %v", rep, err)
	}
	// A damaged source is refused.
	truncate(t, path, 3*testPageSize)
	if _, err := boltstore.BackupFile(path, filepath.Join(t.TempDir(), "b3.db")); !errors.Is(err, boltstore.ErrCorrupt) {
		t.Fatalf("backup of a damaged file: %v", err)
	}
}
