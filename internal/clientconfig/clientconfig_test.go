package clientconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "config.json")
	want := Config{Endpoint: "https://127.0.0.1:8443/", CAFile: "/x/ca.pem", Token: "secret", Subscription: "00000000-0000-0000-0000-000000000001"}
	if err := Save(p, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load missing: err = %v, want ErrNotFound", err)
	}
}

func TestDefaultPathEnv(t *testing.T) {
	t.Setenv("TAGWALL_CONFIG", "/tmp/x.json")
	if p, _ := DefaultPath(); p != "/tmp/x.json" {
		t.Errorf("DefaultPath = %q", p)
	}
	t.Setenv("TAGWALL_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	if p, _ := DefaultPath(); p != "/cfg/tagwall/config.json" {
		t.Errorf("DefaultPath = %q", p)
	}
}
