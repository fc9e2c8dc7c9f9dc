package server

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/testutil"
)

func TestFirstStartWritesAndSecondReuses(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m1 := start(t, cfg)
	tokFile := filepath.Join(dir, "token")
	st, err := os.Stat(tokFile)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("token mode %v, want 0600", st.Mode().Perm())
	}
	for _, f := range []string{identity.CACertFile, identity.CAKeyFile, identity.APICertFile, identity.APIKeyFile, identity.SubscriptionFile, storeFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("first start did not write %s: %v", f, err)
		}
	}
	cc, err := clientconfig.Load(cfg.ClientConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	adminID, adminSecret := m1.AdminPrincipal()
	want := clientconfig.Config{Endpoint: m1.APIURL(), CAFile: filepath.Join(dir, identity.CACertFile), Token: m1.Token(),
		Subscription: m1.Subscription(), Tenant: cc.Tenant, GatewayAddr: m1.GatewayAddr(),
		ClientID: adminID, ClientSecret: adminSecret}
	if cc != want {
		t.Fatalf("client config %+v, want %+v", cc, want)
	}
	if len(m1.Token()) < 32 || len(m1.Subscription()) != 36 {
		t.Fatalf("token %q subscription %q", m1.Token(), m1.Subscription())
	}
	code, _ := call(t, testutil.HTTPSClient(t, cc.CAFile), http.MethodGet, cc.Endpoint+"subscriptions?api-version=2022-12-01", cc.Token, nil)
	if code != 200 {
		t.Fatalf("GET /subscriptions with the client config: %d", code)
	}
	caBefore, _ := os.ReadFile(filepath.Join(dir, identity.CACertFile))
	tok, sub := m1.Token(), m1.Subscription()
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}

	m2 := start(t, cfg)
	caAfter, _ := os.ReadFile(filepath.Join(dir, identity.CACertFile))
	if m2.Token() != tok || m2.Subscription() != sub || !bytes.Equal(caBefore, caAfter) {
		t.Fatal("second start did not reuse the token, subscription or CA")
	}
	// The API certificate of the second start verifies with the CA of the first.
	code, _ = call(t, testutil.HTTPSClient(t, cc.CAFile), http.MethodGet, m2.APIURL()+"subscriptions?api-version=2022-12-01", tok, nil)
	if code != 200 {
		t.Fatalf("second start: GET /subscriptions %d", code)
	}
}

func TestTokenFileAndTLSFlags(t *testing.T) {
	dir := t.TempDir()
	own := t.TempDir()
	ca, err := pki.NewCA("operator ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafSpec{CommonName: "api", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, caFile := filepath.Join(own, "tls.crt"), filepath.Join(own, "tls.key"), filepath.Join(own, "ca.crt")
	tokenFile := filepath.Join(own, "token")
	for f, b := range map[string][]byte{certFile: leaf.CertPEM, keyFile: leaf.KeyPEM, caFile: ca.CertPEM, tokenFile: []byte("operator-token\n")} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t, dir)
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TokenFile = certFile, keyFile, tokenFile
	cfg.Subscription = "11111111-2222-3333-4444-555555555555"
	m := start(t, cfg)
	if m.Token() != "operator-token" {
		t.Fatalf("token %q, want the token file's", m.Token())
	}
	for _, f := range []string{tokenFile, identity.CACertFile, identity.APICertFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil && f != tokenFile {
			t.Fatalf("generated %s although --tls-cert was given", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "token")); err == nil {
		t.Fatal("generated a token although --token-file was given")
	}
	code, body := call(t, testutil.HTTPSClient(t, caFile), http.MethodGet,
		m.APIURL()+"subscriptions?api-version=2022-12-01", "operator-token", nil)
	if code != 200 || !strings.Contains(strings.ToLower(toJSON(body)), cfg.Subscription) {
		t.Fatalf("GET /subscriptions with the operator's CA and token: %d %v", code, body)
	}
	cc, err := clientconfig.Load(cfg.ClientConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Token != "operator-token" || cc.CAFile != certFile || cc.Subscription != cfg.Subscription {
		t.Fatalf("client config %+v", cc)
	}
}

func TestUnauthenticatedWritesNothing(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	c := testutil.HTTPSClient(t, m.CAFile())
	sub := m.APIURL() + "subscriptions/" + m.Subscription()
	rev0, err := m.store.Revision(t.Context()) // the first start's identity records
	if err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name, method, url string
		body              any
	}{
		{name: "feature register", method: http.MethodPost, url: sub + "/" + featurePath + "/register?api-version=2021-07-01"},
		{name: "provider register", method: http.MethodPost, url: sub + "/providers/Microsoft.ContainerService/register?api-version=2021-04-01"},
		{name: "group create", method: http.MethodPut, url: sub + "/resourcegroups/" + rg + "?api-version=2021-04-01", body: map[string]any{"location": "eastus"}},
		{name: "cluster create", method: http.MethodPut, url: sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/managedClusters/" + clusterName + "?api-version=2025-02-01",
			body: map[string]any{"location": "eastus", "properties": map[string]any{"dnsPrefix": "x"}}},
	}
	for _, tok := range []string{"", "wrong-token"} {
		for _, w := range writes {
			t.Run(w.name+"/token="+tok, func(t *testing.T) {
				code, body := call(t, c, w.method, w.url, tok, w.body)
				if code != http.StatusUnauthorized {
					t.Fatalf("status %d %v, want 401", code, body)
				}
				if _, ok := body["error"]; !ok {
					t.Fatalf("401 without an ARM error body: %v", body)
				}
			})
		}
	}
	rev, err := m.store.Revision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rev != rev0 {
		t.Fatalf("store revision %d after only refused calls, want %d", rev, rev0)
	}
	code, _ := call(t, c, http.MethodGet, sub+"/resourcegroups/"+rg+"?api-version=2021-04-01", m.Token(), nil)
	if code != http.StatusNotFound {
		t.Fatalf("group after refused create: %d, want 404", code)
	}
}
