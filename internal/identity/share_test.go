package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestShare: replicas racing at first start end with one copy (the
// first stored); a later replica overwrites its own files with it.
func TestShare(t *testing.T) {
	st := memstore.New()
	files := []string{"token", "pki/ca.key"}
	dirs := make([]string, 4)
	var wg sync.WaitGroup
	errs := make([]error, len(dirs))
	for i := range dirs {
		dirs[i] = t.TempDir()
		if i == 3 { // a replica with stale files of its own
			if err := os.WriteFile(filepath.Join(dirs[i], "token"), []byte("stale"), 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wg.Go(func() {
			errs[i] = Share(context.Background(), st, "shared/identity", dirs[i], files, func() error {
				for _, f := range files {
					p := filepath.Join(dirs[i], filepath.FromSlash(f))
					if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
						return err
					}
					if err := os.WriteFile(p, []byte(f+" of replica "+string(rune('A'+i))), 0o600); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	errs[3] = Share(context.Background(), st, "shared/identity", dirs[3], files, func() error {
		t.Error("create called although the files are stored")
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	for _, f := range files {
		want, _ := os.ReadFile(filepath.Join(dirs[0], filepath.FromSlash(f)))
		for _, d := range dirs[1:] {
			if got, _ := os.ReadFile(filepath.Join(d, filepath.FromSlash(f))); !bytes.Equal(got, want) || len(want) == 0 {
				t.Fatalf("%s differs: %q vs %q", f, got, want)
			}
		}
	}
}

func TestWriteShared(t *testing.T) {
	tests := []struct {
		name    string
		stored  map[string][]byte
		want    map[string]string // path → content ("" = must not exist)
		wantErr bool
	}{
		{name: "listed file", stored: map[string][]byte{"token": []byte("t")}, want: map[string]string{"token": "t"}},
		{name: "unlisted path ignored", stored: map[string][]byte{"../escape": []byte("x"), "other": []byte("y")},
			want: map[string]string{"../escape": "", "other": ""}},
		{name: "nested listed file", stored: map[string][]byte{"pki/ca.key": []byte("k")}, want: map[string]string{"pki/ca.key": "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			b, _ := json.Marshal(tt.stored)
			err := WriteShared(dir, []string{"token", "pki/ca.key"}, b)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			for p, want := range tt.want {
				got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
				if want == "" && err == nil {
					t.Fatalf("%s written", p)
				}
				if want != "" && string(got) != want {
					t.Fatalf("%s = %q, %v; want %q", p, got, err, want)
				}
			}
		})
	}
	if err := WriteShared(t.TempDir(), nil, []byte("{")); err == nil {
		t.Fatal("no error for a broken stored value")
	}
}

// TestShareIncomplete: a replica that needs a file the first replica did
// not share (it was started with --tls-cert, this one without) is refused
// instead of making an identity of its own.
func TestShareIncomplete(t *testing.T) {
	st := memstore.New()
	withCert := Config{TLSCertFile: "/op.crt"}.SharedFiles()
	err := Share(context.Background(), st, "k", t.TempDir(), withCert, func() error { return nil })
	if err == nil {
		t.Fatal("stored files that do not exist")
	}
	dir := t.TempDir()
	for _, f := range withCert {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Share(context.Background(), st, "k", dir, withCert, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	err = Share(context.Background(), st, "k", t.TempDir(), Config{}.SharedFiles(), func() error {
		t.Error("create called although a copy is stored")
		return nil
	})
	if !errors.Is(err, ErrIncomplete) || !bytes.Contains([]byte(err.Error()), []byte(CACertFile)) {
		t.Fatalf("err = %v, want ErrIncomplete naming %s", err, CACertFile)
	}
}
