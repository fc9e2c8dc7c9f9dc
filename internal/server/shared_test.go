package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestShareFiles: replicas racing at first start end with one copy (the
// first stored); a later replica overwrites its own files with it.
func TestShareFiles(t *testing.T) {
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
			m := &Main{store: st}
			errs[i] = m.shareFiles(context.Background(), "shared/identity", dirs[i], files, func() error {
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
	m := &Main{store: st}
	errs[3] = m.shareFiles(context.Background(), "shared/identity", dirs[3], files, func() error {
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

func TestWriteSharedFiles(t *testing.T) {
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
			err := writeSharedFiles(dir, []string{"token", "pki/ca.key"}, b)
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
	if err := writeSharedFiles(t.TempDir(), nil, []byte("{")); err == nil {
		t.Fatal("no error for a broken stored value")
	}
}

func encodeShared(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	sum := sha256.Sum256(raw)
	b, err := json.Marshal(sharedDoc{Source: "s", ChangeNumber: 1, SHA256: hex.EncodeToString(sum[:]), Gzip: zb.Bytes()})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeShared(t *testing.T) {
	raw := []byte(`{"changeNumber":1,"cloud":"Public","values":[]}`)
	good := encodeShared(t, raw)
	var bad sharedDoc
	_ = json.Unmarshal(good, &bad)
	bad.SHA256 = hex.EncodeToString(make([]byte, 32))
	badSum, _ := json.Marshal(bad)
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "round trip", in: good},
		{name: "checksum", in: badSum, wantErr: "checksum mismatch"},
		{name: "not json", in: []byte("nope"), wantErr: "decode stored service tags"},
		{name: "not gzip", in: []byte(`{"source":"s","gzip":"AAAA"}`), wantErr: `of "s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d sharedDoc
			got, err := decodeShared(tt.in, &d)
			if tt.wantErr != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("decode = %q, %v", got, err)
			}
		})
	}
}

// FuzzDecodeShared: a stored value never panics the decoder, and whatever
// it accepts matches its checksum.
func FuzzDecodeShared(f *testing.F) {
	f.Add(encodeShared(f, []byte(`{"changeNumber":1}`))) // a good value
	f.Add([]byte(`{"gzip":""}`))                         // empty gzip
	f.Add([]byte(`null`))                                // JSON null
	f.Fuzz(func(t *testing.T, in []byte) {
		var d sharedDoc
		raw, err := decodeShared(in, &d)
		if err != nil {
			return
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != d.SHA256 {
			t.Fatalf("accepted a value whose checksum does not match")
		}
	})
}
