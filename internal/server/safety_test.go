package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/testutil"
)

// openLive opens a TLS session through m's front door as client and
// returns it once the handshake is done (the connection stays open).
func openLive(t *testing.T, gatewayAddr, client, fqdn string, caPEM []byte) *tls.Conn {
	t.Helper()
	c, err := testutil.DialProxied(context.Background(), gatewayAddr, client)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: fqdn})
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("live session for %s: %v", client, err)
	}
	tc.SetDeadline(time.Time{})
	t.Cleanup(func() { tc.Close() })
	return tc
}

// TestGrantAcrossRestart: `tagwall serve` end to end. A grant admits its
// address at once, survives a restart with its expiry, closes a live
// connection within a second of that expiry and refuses afterwards with
// no further call; revoke acts at once; checkAccess answers from the
// front door in force.
func TestGrantAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m1 := start(t, cfg)
	s := newSeed(t, m1)
	s.createGroup(t)
	mc, err := s.put(t, clusterSpec("20.20.20.20"))
	if err != nil {
		t.Fatal(err)
	}
	fqdn := *mc.Properties.Fqdn
	_, _, caPEM, _ := parseKubeconfig(t, s.kubeconfig(t))
	grantURL := func(s *seed, name string) string {
		return s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+clusterName+"/accessGrants/"+name, "2022-11-01")
	}
	code, g := call(t, s.http, http.MethodPut, grantURL(s, "oncall"), m1.Token(),
		map[string]any{"properties": map[string]any{"range": "20.20.20.30", "duration": "8s", "reason": "restart test"}})
	if code != 201 {
		t.Fatalf("grant: %d %v", code, g)
	}
	expiresAt := g["properties"].(map[string]any)["expiresAt"].(string)
	expires, _ := time.Parse(time.RFC3339, expiresAt)
	eventually(t, 5*time.Second, "the grant admits", func() error {
		_, err := frontDoorGet(m1.GatewayAddr(), "20.20.20.30", fqdn, caPEM, "/readyz")
		return err
	})
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}

	m2 := start(t, cfg)
	s2 := newSeed(t, m2)
	code, g = call(t, s2.http, http.MethodGet, grantURL(s2, "oncall"), m2.Token(), nil)
	if code != 200 || g["properties"].(map[string]any)["expiresAt"] != expiresAt {
		t.Fatalf("grant after restart: %d %v, want expiresAt %s", code, g, expiresAt)
	}
	if time.Until(expires) < 2*time.Second {
		t.Skipf("the restart took too long on this machine: %v left of the grant", time.Until(expires))
	}
	eventually(t, 5*time.Second, "the grant admits after restart", func() error {
		_, err := frontDoorGet(m2.GatewayAddr(), "20.20.20.30", fqdn, caPEM, "/readyz")
		return err
	})
	checkURL := s2.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+clusterName+"/checkAccess", "2022-11-01")
	if code, x := call(t, s2.http, http.MethodPost, checkURL, m2.Token(), map[string]any{"ipAddress": "20.20.20.30"}); code != 200 || x["kind"] != "grant" {
		t.Errorf("checkAccess during the grant: %d %v", code, x)
	}
	live := openLive(t, m2.GatewayAddr(), "20.20.20.30", fqdn, caPEM)
	live.SetReadDeadline(time.Now().Add(time.Until(expires) + 3*time.Second))
	_, err = live.Read(make([]byte, 1))
	late := time.Since(expires)
	var ne interface{ Timeout() bool }
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("live connection still open %v after the expiry (%v)", late, err)
	}
	if late > time.Second {
		t.Errorf("live connection closed %v after the expiry, want within 1s", late)
	}
	if _, err := frontDoorGet(m2.GatewayAddr(), "20.20.20.30", fqdn, caPEM, "/readyz"); err == nil {
		t.Error("admitted after the grant expired")
	}
	if code, x := call(t, s2.http, http.MethodPost, checkURL, m2.Token(), map[string]any{"ipAddress": "20.20.20.30"}); code != 200 || x["allowed"] != false {
		t.Errorf("checkAccess after expiry: %d %v", code, x)
	}
	// Revoke acts at once.
	call(t, s2.http, http.MethodPut, grantURL(s2, "ci"), m2.Token(), map[string]any{"properties": map[string]any{"range": "20.20.21.0/24"}})
	eventually(t, 5*time.Second, "the ci grant admits", func() error {
		_, err := frontDoorGet(m2.GatewayAddr(), "20.20.21.9", fqdn, caPEM, "/readyz")
		return err
	})
	ci := openLive(t, m2.GatewayAddr(), "20.20.21.9", fqdn, caPEM)
	if code, _ := call(t, s2.http, http.MethodDelete, grantURL(s2, "ci"), m2.Token(), nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	start := time.Now()
	ci.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := ci.Read(make([]byte, 1)); err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("revoked grant's connection still open: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("revoke closed the connection after %v", d)
	}
	if _, err := frontDoorGet(m2.GatewayAddr(), "20.20.21.9", fqdn, caPEM, "/readyz"); err == nil {
		t.Error("revoked grant still admits")
	}
}
