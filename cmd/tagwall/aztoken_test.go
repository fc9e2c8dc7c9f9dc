package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/clientconfig"
)

// writeTokenCache writes an msal_token_cache.json with one access token
// for clientID expiring at exp (msal's layout, trimmed to what az-env reads).
func writeTokenCache(tb testing.TB, dir, clientID string, exp time.Time) {
	tb.Helper()
	body := `{"AccessToken": {"k": {"credential_type": "AccessToken", "secret": "x", "client_id": "` + clientID +
		`", "realm": "adfs", "token_type": "Bearer", "expires_on": "` + strconv.FormatInt(exp.Unix(), 10) + `"}}}`
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "msal_token_cache.json"), []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestCachedTokenFresh(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  bool
	}{
		{name: "no cache", setup: func(*testing.T, string) {}, want: false},
		{name: "malformed cache", setup: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "msal_token_cache.json"), []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, want: false},
		{name: "expired", setup: func(t *testing.T, dir string) { writeTokenCache(t, dir, "cid", now.Add(-time.Minute)) }, want: false},
		{name: "about to expire", setup: func(t *testing.T, dir string) { writeTokenCache(t, dir, "cid", now.Add(2*time.Minute)) }, want: false},
		{name: "valid for an hour", setup: func(t *testing.T, dir string) { writeTokenCache(t, dir, "cid", now.Add(time.Hour)) }, want: true},
		{name: "client id case-insensitive", setup: func(t *testing.T, dir string) { writeTokenCache(t, dir, "CID", now.Add(time.Hour)) }, want: true},
		{name: "another principal's token", setup: func(t *testing.T, dir string) { writeTokenCache(t, dir, "other", now.Add(time.Hour)) }, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			if got := cachedTokenFresh(dir, "cid", now); got != tc.want {
				t.Errorf("cachedTokenFresh = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAzEnvStaleTokenLogsInAgain: with az set up for the endpoint but its
// cached token expired, az-env runs the login unguarded; with a fresh
// token it keeps the guard that skips it.
func TestAzEnvStaleTokenLogsInAgain(t *testing.T) {
	tests := []struct {
		name    string
		exp     time.Duration // token expiry from now
		guarded bool
	}{
		{name: "fresh token keeps the guard", exp: time.Hour, guarded: true},
		{name: "expired token logs in", exp: -time.Hour, guarded: false},
		{name: "token about to expire logs in", exp: time.Minute, guarded: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "tagwall", "config.json")
			cc := clientconfig.Config{Endpoint: "https://127.0.0.1:8443/", Subscription: "s", ClientID: "cid", ClientSecret: "sec"}
			if err := clientconfig.Save(cfg, cc); err != nil {
				t.Fatal(err)
			}
			writeTokenCache(t, filepath.Join(dir, "tagwall", "az"), "cid", time.Now().Add(tc.exp))
			code, out, errOut := tagwall(t, "az-env", "--config", cfg)
			if code != 0 {
				t.Fatalf("az-env: %d %s", code, errOut)
			}
			if got := strings.Contains(out, "if ! grep"); got != tc.guarded {
				t.Errorf("guarded %v, want %v:\n%s", got, tc.guarded, out)
			}
			if !strings.Contains(out, "az login --service-principal -u cid") {
				t.Errorf("no az login:\n%s", out)
			}
		})
	}
}
