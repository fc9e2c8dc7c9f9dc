package main

import (
	"os"
	"os/exec"
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

// TestAzEnvGuardChecksTheLoginEndpoint runs az-env's script in sh with a
// stand-in az that records its calls and a fresh cached token: az's files
// that show this endpoint, its login endpoint (authn.LoginEndpoint) and the
// principal skip the login; a cloud registered with the older login
// endpoint that ends in /adfs (under which az drops the tenant) is
// registered again and the principal logged in again.
func TestAzEnvGuardChecksTheLoginEndpoint(t *testing.T) {
	const endpoint = "https://127.0.0.1:8443/"
	tests := []struct {
		name      string
		login     string // endpoint_active_directory in clouds.config
		wantCalls bool
	}{
		{name: "current login endpoint", login: endpoint + "adfs/tenants", wantCalls: false},
		{name: "older /adfs login endpoint", login: endpoint + "adfs", wantCalls: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "tagwall", "config.json")
			if err := clientconfig.Save(cfg, clientconfig.Config{Endpoint: endpoint, Subscription: "s", ClientID: "cid", ClientSecret: "sec"}); err != nil {
				t.Fatal(err)
			}
			azDir := filepath.Join(dir, "tagwall", "az")
			writeTokenCache(t, azDir, "cid", time.Now().Add(time.Hour))
			clouds := "[tagwall]\nendpoint_resource_manager = " + endpoint + "\nendpoint_active_directory = " + tc.login + "\n"
			if err := os.WriteFile(filepath.Join(azDir, "clouds.config"), []byte(clouds), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(azDir, "azureProfile.json"), []byte(`{"subscriptions":[{"user":{"name":"cid"}}]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := tagwall(t, "az-env", "--config", cfg)
			if code != 0 {
				t.Fatalf("az-env: %d %s", code, errOut)
			}
			bin := filepath.Join(dir, "bin")
			calls := filepath.Join(dir, "calls")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bin, "az"), []byte("#!/bin/sh\necho \"$1 $2\" >> "+calls+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			sh := exec.Command("sh", "-e", "-c", out)
			sh.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
			if b, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("sh: %v %s", err, b)
			}
			got, _ := os.ReadFile(calls)
			if called := len(got) > 0; called != tc.wantCalls {
				t.Fatalf("az called %v (%q), want %v; script:\n%s", called, got, tc.wantCalls, out)
			}
			if tc.wantCalls && !strings.Contains(string(got), "login --service-principal") {
				t.Errorf("az calls %q: no login", got)
			}
		})
	}
}
