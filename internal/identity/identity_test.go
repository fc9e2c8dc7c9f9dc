package identity

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadTokenFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
		wantErr string // substring; "" = no error
	}{
		{name: "0600", content: "tok\n", mode: 0o600, want: "tok"},
		{name: "0400", content: " tok ", mode: 0o400, want: "tok"},
		{name: "world-readable", content: "tok", mode: 0o644, wantErr: "mode 0644"},
		{name: "group-readable", content: "tok", mode: 0o640, wantErr: "chmod 600"},
		{name: "empty", content: "\n", mode: 0o600, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTokenFile(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err %v, want %q naming %s", err, tt.wantErr, p)
				}
				if tt.mode&0o044 != 0 && !errors.Is(err, ErrTokenFileMode) {
					t.Fatalf("err %v is not ErrTokenFileMode", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ReadTokenFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestLoadKeepsIdentity: a second Load reads what the first made.
func TestLoadKeepsIdentity(t *testing.T) {
	cfg := Config{DataDir: t.TempDir()}
	a, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Token != b.Token || a.Subscription != b.Subscription || a.Tenant != b.Tenant || a.CAFile != b.CAFile || len(a.Token) != 64 {
		t.Fatalf("identity changed across loads: %+v vs %+v", a, b)
	}
}

func TestSharedFiles(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		has  []string
		not  []string
	}{
		{name: "generated", cfg: Config{}, has: []string{TenantFile, TokenKeyFile, CACertFile, CAKeyFile, TokenFile, SubscriptionFile}},
		{name: "operator cert", cfg: Config{TLSCertFile: "c"}, has: []string{TenantFile, TokenFile}, not: []string{CACertFile, CAKeyFile}},
		{name: "token file and subscription", cfg: Config{TokenFile: "t", Subscription: "s"}, has: []string{CACertFile}, not: []string{TokenFile, SubscriptionFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.SharedFiles()
			for _, f := range tt.has {
				if !slices.Contains(got, f) {
					t.Errorf("%v lacks %s", got, f)
				}
			}
			for _, f := range tt.not {
				if slices.Contains(got, f) {
					t.Errorf("%v has %s", got, f)
				}
			}
		})
	}
}
