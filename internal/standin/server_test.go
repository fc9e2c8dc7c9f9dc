package standin

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
)

func newCA(t testing.TB) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("cluster ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func client(ca *pki.CA, name string) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool(), ServerName: name},
		ForceAttemptHTTP2: true,
	}}
}

func TestEndpoints(t *testing.T) {
	ca := newCA(t)
	const fqdn = "seed-abcd1234.eastus.hcp.tagwall.local"
	s, err := New(Config{Name: fqdn, CA: ca, Token: "tok", KubernetesVersion: "1.32.4"})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveOn(t, s)
	c := client(ca, fqdn)
	tests := []struct {
		name     string
		path     string
		token    string
		wantCode int
		wantBody string // substring
	}{
		{name: "version", path: "/version", wantCode: 200, wantBody: `"gitVersion":"v1.32.4"`},
		{name: "version with token", path: "/version", token: "tok", wantCode: 200, wantBody: `"minor":"32"`},
		{name: "wrong token", path: "/version", token: "nope", wantCode: 401, wantBody: `"reason":"Unauthorized"`},
		{name: "healthz", path: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "livez", path: "/livez", wantCode: 200, wantBody: "ok"},
		{name: "readyz", path: "/readyz", wantCode: 200, wantBody: "ok"},
		{name: "api", path: "/api", wantCode: 200, wantBody: `"kind":"APIVersions"`},
		{name: "apis", path: "/apis", wantCode: 200, wantBody: `"kind":"APIGroupList"`},
		{name: "unknown", path: "/api/v1/pods", wantCode: 404, wantBody: `"reason":"NotFound"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://"+addr+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.ProtoMajor != 2 {
				t.Fatalf("served over %s, want HTTP/2", resp.Proto)
			}
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, b)
			}
			if !strings.Contains(string(b), tt.wantBody) {
				t.Fatalf("body %s lacks %s", b, tt.wantBody)
			}
		})
	}
}

func TestCertificateIsForFQDN(t *testing.T) {
	ca := newCA(t)
	s, err := New(Config{Name: "a.example.test", CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveOn(t, s)
	if _, err := client(ca, "b.example.test").Get("https://" + addr + "/version"); err == nil {
		t.Fatal("certificate verified for another name")
	}
	if _, err := client(newCA(t), "a.example.test").Get("https://" + addr + "/version"); err == nil {
		t.Fatal("certificate verified against another CA")
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name, in, git, major, minor string
	}{
		{name: "default", in: "", git: "v" + DefaultVersion, major: "1", minor: "32"},
		{name: "bare", in: "1.31.2", git: "v1.31.2", major: "1", minor: "31"},
		{name: "prefixed", in: "v1.30.0", git: "v1.30.0", major: "1", minor: "30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Version(tt.in)
			if v.GitVersion != tt.git || v.Major != tt.major || v.Minor != tt.minor {
				b, _ := json.Marshal(v)
				t.Fatalf("Version(%q) = %s", tt.in, b)
			}
		})
	}
}

func TestFleetSync(t *testing.T) {
	ca := newCA(t)
	f := NewFleet(func(Cluster) (Config, error) { return Config{CA: ca}, nil })
	defer f.Close()
	a := Cluster{ID: "/a", FQDN: "a.example.test"}
	b := Cluster{ID: "/b", FQDN: "b.example.test"}
	srvs, err := f.Sync([]Cluster{a, b})
	if err != nil || len(srvs) != 2 {
		t.Fatalf("sync: %v %v", srvs, err)
	}
	sa, sb := srvs["/a"], srvs["/b"]
	bAddr := serveOn(t, sb)
	srvs, err = f.Sync([]Cluster{a})
	if err != nil || len(srvs) != 1 || srvs["/a"] != sa || f.Len() != 1 {
		t.Fatalf("second sync: %v %v (a kept?)", srvs, err)
	}
	if _, err := client(ca, "b.example.test").Get("https://" + bAddr + "/version"); err == nil {
		t.Fatal("removed cluster's server still answers")
	}
	resp, err := client(ca, "a.example.test").Get("https://" + serveOn(t, sa) + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a.FQDN = "a2.example.test"
	srvs, _ = f.Sync([]Cluster{a})
	if got, ok := f.Server("/a"); !ok || got != srvs["/a"] || got == sa {
		t.Fatal("renamed cluster kept its old server")
	}
	resp, err = client(ca, "a2.example.test").Get("https://" + serveOn(t, srvs["/a"]) + "/readyz")
	if err != nil {
		t.Fatalf("renamed cluster: %v", err)
	}
	resp.Body.Close()
	f.Close()
	if _, err := f.Sync([]Cluster{a}); err == nil {
		t.Fatal("sync after close succeeded")
	}
}
