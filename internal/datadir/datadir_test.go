package datadir_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/datadir"
)

func TestCheckStore(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string // relative path -> content; a trailing "/" makes a dir
		allowEmpty bool
		want       []string // substrings of the error; nil: no error
	}{
		{"fresh dir", nil, false, nil},
		{"first start crashed before the identity", map[string]string{"tagwall.db": ""}, false, nil},
		{"store beside identity", map[string]string{"tagwall.db": "x", "token": "t", "pki/ca.crt": "c"}, false, nil},
		{"missing store beside token and CA", map[string]string{"token": "t", "pki/ca.crt": "c"}, false,
			[]string{"is missing", "token", "pki/ca.crt", "--allow-empty-store", "tagwall store backup"}},
		{"empty store beside clusters", map[string]string{"tagwall.db": "", "clusters/abc/ca.crt": "c", "clusters/def/ca.crt": "c"}, false,
			[]string{"is empty (0 bytes)", "clusters/ (2 clusters)"}},
		{"empty clusters dir is no identity", map[string]string{"clusters/": ""}, false, nil},
		{"allowed on purpose", map[string]string{"token": "t"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for rel, body := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(rel))
				if strings.HasSuffix(rel, "/") {
					if err := os.MkdirAll(p, 0o700); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := datadir.CheckStore(dir, tt.allowEmpty)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckStore: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, datadir.ErrEmptyStore) {
				t.Fatalf("CheckStore: %v, want ErrEmptyStore", err)
			}
			for _, w := range append(tt.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}
