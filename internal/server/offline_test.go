package server

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/testutil"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOfflineServiceTags starts with a source that cannot be reached (a
// closed loopback port): the server runs, says so in /readyz and the
// metrics, and refuses tag entries.
func TestOfflineServiceTags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + ln.Addr().String() + "/ServiceTags_Public.json"
	ln.Close()
	cfg := testConfig(t, t.TempDir())
	cfg.ServiceTags = []string{unreachable}
	cfg.FeatureDelay = -1 // at once
	m := start(t, cfg)

	eventually(t, 10*time.Second, "readyz reports the missing catalog", func() error {
		code, body := get(t, "http://"+m.MetricsAddr()+"/readyz")
		if code != 200 || !strings.Contains(body, "[-]servicetags "+unreachable+" not loaded") ||
			!strings.Contains(body, "[+]store ok") {
			return errorf("readyz %d:\n%s", code, body)
		}
		return nil
	})
	_, metrics := get(t, "http://"+m.MetricsAddr()+"/metrics")
	for _, want := range []string{
		`tagwall_servicetags_held{source="` + unreachable + `"} 0`,
		`tagwall_servicetags_tags 0`,
		`go_goroutines`, `process_cpu_seconds_total`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code, body := get(t, "http://"+m.MetricsAddr()+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}

	s := newSeed(t, m)
	s.featureState(t, "register")
	eventually(t, 5*time.Second, "feature Registered", func() error {
		if st := s.featureState(t, ""); st != "Registered" {
			return errorf("%s", st)
		}
		return nil
	})
	s.registerProvider(t)
	s.createGroup(t)
	_, err = s.put(t, clusterSpec("AzureCloud", "20.20.20.20"))
	wantStatus(t, err, 400, "")
	if _, err := s.put(t, clusterSpec("20.20.20.20")); err != nil {
		t.Fatalf("plain ranges without catalog: %v", err)
	}
}

// TestReadyzLoaded checks the detail with the real document in force.
func TestReadyzLoaded(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	code, body := get(t, "http://"+m.MetricsAddr()+"/readyz")
	if code != 200 || !strings.Contains(body, "loaded: live, changeNumber 193, fetched ") || !strings.Contains(body, "cloud AzureGermany, 79 tags") {
		t.Fatalf("readyz %d:\n%s", code, body)
	}
	_, metrics := get(t, "http://"+m.MetricsAddr()+"/metrics")
	src := testutil.ServiceTags(t, germanyTags)
	for _, want := range []string{`tagwall_servicetags_origin{origin="live",source="` + src + `"} 1`, `tagwall_servicetags_change_number{source="` + src + `"} 193`,
		`tagwall_servicetag_change_number{source="` + src + `"} 193`, `tagwall_servicetags_events_total{event="installs"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestUpstreamOverride points a cluster (by name) at a "real" API server:
// the front door routes there and the kubeconfig carries its CA.
func TestUpstreamOverride(t *testing.T) {
	upCA, err := pki.NewCA("real cluster ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "upstream-ca.crt")
	if err := os.WriteFile(caFile, upCA.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// A TLS server that presents a certificate for whatever name is asked
	// (a real server's certificate would list the FQDN as a SAN).
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		leaf, err := upCA.Issue(pki.LeafSpec{CommonName: h.ServerName, DNSNames: []string{h.ServerName}}, time.Now())
		if err != nil {
			return nil, err
		}
		return &leaf.TLS, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "real upstream")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	cfg := testConfig(t, t.TempDir())
	cfg.Upstreams = []Upstream{{Cluster: strings.ToUpper(clusterName), Addr: ln.Addr().String(), CAFile: caFile}}
	m := start(t, cfg)
	s := newSeed(t, m)
	s.createGroup(t)
	mc, err := s.put(t, clusterSpec("20.20.20.20"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, caPEM, _ := parseKubeconfig(t, s.kubeconfig(t))
	if string(caPEM) != string(upCA.CertPEM) {
		t.Fatal("kubeconfig does not carry the upstream's CA")
	}
	body, err := frontDoorGet(m.GatewayAddr(), "20.20.20.20", *mc.Properties.Fqdn, caPEM, "/")
	if err != nil || body != "real upstream" {
		t.Fatalf("through the front door: %q %v", body, err)
	}
	if m.fleet.Len() != 0 {
		t.Fatalf("%d stand-ins started for an upstream cluster", m.fleet.Len())
	}
}

// TestCacheReloadedAtStart: the last good document is kept in the data dir
// and put in force at the next start even when the source is gone.
func TestCacheReloadedAtStart(t *testing.T) {
	src := filepath.Join(t.TempDir(), "ServiceTags_AzureGermany.json")
	data, err := os.ReadFile(testutil.ServiceTags(t, germanyTags))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.ServiceTags = []string{src}
	m1 := start(t, cfg)
	if m1.Catalog() == nil {
		t.Fatal("no catalog after the first start")
	}
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	m2 := start(t, cfg)
	cat := m2.Catalog()
	if cat == nil || cat.Document().ChangeNumber != 193 {
		t.Fatalf("catalog after restart without the source: %v", cat)
	}
	_, body := get(t, "http://"+m2.MetricsAddr()+"/readyz")
	if !strings.Contains(body, "[+]servicetags "+src+" loaded: cache, changeNumber 193") || !strings.Contains(body, "last refresh failed") {
		t.Fatalf("readyz:\n%s", body)
	}
}
