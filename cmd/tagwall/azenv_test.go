package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/server"
)

func TestShq(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain path", in: "/tmp/a-b_c.d", want: "/tmp/a-b_c.d"},
		{name: "url", in: "https://127.0.0.1:8443/", want: "https://127.0.0.1:8443/"},
		{name: "space", in: "a b", want: "'a b'"},
		{name: "quote", in: "it's", want: `'it'\''s'`},
		{name: "dollar", in: "$HOME", want: "'$HOME'"},
		{name: "empty", in: "", want: "''"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shq(tt.in); got != tt.want {
				t.Errorf("shq(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// Round trip through a real shell.
			out, err := exec.Command("sh", "-c", "printf %s "+shq(tt.in)).Output()
			if err != nil || string(out) != tt.in {
				t.Errorf("sh printf %s = %q (%v), want %q", shq(tt.in), out, err, tt.in)
			}
		})
	}
}

func TestAzEnv(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tagwall", "config.json")
	cc := clientconfig.Config{Endpoint: "https://127.0.0.1:8443/", CAFile: filepath.Join(dir, "ca.crt"), Token: "t",
		Subscription: "s", Tenant: "11111111-2222-3333-4444-555555555555", ClientID: "cid", ClientSecret: "se'cret"}
	if err := clientconfig.Save(cfg, cc); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := tagwall(t, "az-env", "--config", cfg)
	if code != 0 {
		t.Fatalf("az-env: %d %s", code, errOut)
	}
	azDir := filepath.Join(dir, "tagwall", "az")
	for _, want := range []string{
		"export AZURE_CONFIG_DIR=" + azDir + "\n",
		"export REQUESTS_CA_BUNDLE=" + cc.CAFile + "\n",
		"AZURE_CORE_COLLECT_TELEMETRY=no",
		"NO_PROXY=127.0.0.1",
		`az cloud register -n tagwall --cloud-config '{"endpoints":{"resourceManager":"https://127.0.0.1:8443/","activeDirectory":"https://127.0.0.1:8443/adfs/tenants",` +
			`"microsoftGraphResourceId":"https://127.0.0.1:8443/graph/","portal":"https://127.0.0.1:8443/portal/"}}'`,
		`az cloud update -n tagwall --cloud-config '{"endpoints":{"resourceManager":"https://127.0.0.1:8443/"`,
		"az cloud set -n tagwall",
		`az login --service-principal -u cid -p 'se'\''cret' --tenant 11111111-2222-3333-4444-555555555555`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("az-env output lacks %q:\n%s", want, out)
		}
	}
	// The version-check seed az reads (az-wire.md §0).
	var vc struct {
		Versions   map[string]map[string]string `json:"versions"`
		UpdateTime string                       `json:"update_time"`
	}
	b, err := os.ReadFile(filepath.Join(azDir, "versionCheck.json"))
	if err == nil {
		err = json.Unmarshal(b, &vc)
	}
	if err != nil || vc.Versions["azure-cli"]["local"] != "2.45.0" {
		t.Fatalf("versionCheck.json: %v %s", err, b)
	}
	if _, err := time.Parse("2006-01-02 15:04:05.000000", vc.UpdateTime); err != nil {
		t.Errorf("update_time %q: %v", vc.UpdateTime, err)
	}
	// The script parses as POSIX shell.
	sh := exec.Command("sh", "-n", "-c", out)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v %s", err, b)
	}
	if code, out, _ := tagwall(t, "az-env", "--config", cfg, "--no-login"); code != 0 || strings.Contains(out, "az login") {
		t.Errorf("--no-login: %d\n%s", code, out)
	}
	if code, _, errOut := tagwall(t, "az-env", "--config", filepath.Join(dir, "none.json")); code == 0 || !strings.Contains(errOut, "no tagwall client config") {
		t.Errorf("missing config: %d %s", code, errOut)
	}
}

// TestSPAndSubscriptionCommands runs sp and subscription against an
// in-process server, then logs the new principal in at /adfs.
func TestSPAndSubscriptionCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "client.json")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := server.New(ctx, server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		ServiceTags:    []string{shared(t, "azure-germany-2022-03-07.json")}, ClientConfigPath: cfgPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	code, out, errOut := tagwall(t, "subscription", "create", "--config", cfgPath, "--name", "team-a")
	var sub struct{ SubscriptionID, DisplayName, TenantID string }
	if code != 0 || json.Unmarshal([]byte(out), &sub) != nil || sub.DisplayName != "team-a" || sub.TenantID != m.Tenant() {
		t.Fatalf("subscription create: %d %s %s", code, out, errOut)
	}
	code, out, _ = tagwall(t, "subscription", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, m.Subscription()) || !strings.Contains(out, sub.SubscriptionID) {
		t.Fatalf("subscription list: %d %s", code, out)
	}
	code, out, errOut = tagwall(t, "sp", "create", "--config", cfgPath, "--name", "ci", "--subscription", sub.SubscriptionID)
	var sp struct {
		AppID, Password, Tenant string
		Subscriptions           []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &sp) != nil || sp.Password == "" || sp.Tenant != m.Tenant() ||
		len(sp.Subscriptions) != 1 || sp.Subscriptions[0] != sub.SubscriptionID {
		t.Fatalf("sp create: %d %s %s", code, out, errOut)
	}
	if tok, _, err := m.Authn().Issue(sp.AppID, "https://x"); err != nil || tok == "" {
		t.Fatalf("issue for the new principal: %v", err)
	}
	code, out, _ = tagwall(t, "sp", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, sp.AppID) || strings.Contains(out, sp.Password) {
		t.Fatalf("sp list (must not show secrets): %d %s", code, out)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "unknown subscription", args: []string{"sp", "create", "--subscription", "cccccccc-0000-0000-0000-000000000003"}, wantErr: "(SubscriptionNotFound)"},
		{name: "duplicate subscription", args: []string{"subscription", "create", "--id", sub.SubscriptionID}, wantErr: "(Conflict)"},
		{name: "delete needs an id", args: []string{"sp", "delete"}, wantErr: "--id is required"},
		{name: "delete unknown", args: []string{"sp", "delete", "--id", "nope"}, wantErr: "(NotFound)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := tagwall(t, append(tt.args, "--config", cfgPath)...)
			if code == 0 || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("%v: %d %s, want an error with %q", tt.args, code, errOut, tt.wantErr)
			}
		})
	}
	if code, _, errOut := tagwall(t, "sp", "delete", "--config", cfgPath, "--id", sp.AppID); code != 0 {
		t.Fatalf("sp delete: %d %s", code, errOut)
	}
}
