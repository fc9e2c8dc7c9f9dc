package server

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// operatorFiles writes an operator's API certificate (a chain ending in
// its own CA, for 127.0.0.1), its key and an admin token file (0600) in a
// fresh directory, and returns their paths.
func operatorFiles(t *testing.T) (certFile, keyFile, tokenFile string) {
	t.Helper()
	ca, err := pki.NewCA("operator ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafSpec{CommonName: "api", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	own := t.TempDir()
	certFile, keyFile, tokenFile = filepath.Join(own, "tls.crt"), filepath.Join(own, "tls.key"), filepath.Join(own, "token")
	chain := append(append([]byte{}, leaf.CertPEM...), ca.CertPEM...)
	for f, b := range map[string][]byte{certFile: chain, keyFile: leaf.KeyPEM, tokenFile: []byte("operator-token\n")} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, tokenFile
}

// TestFleetOperatorCertificate: two replicas on a real etcd with the
// operator's certificate and token file start, share what they must (no
// tagwall API CA exists), and a cluster written through one is enforced
// by the other's front door within a second.
func TestFleetOperatorCertificate(t *testing.T) {
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	certFile, keyFile, tokenFile := operatorFiles(t)
	ms := startFleet(t, 2, func(int) Config {
		cfg := fleetConfig(t, eps)
		cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TokenFile = certFile, keyFile, tokenFile
		return cfg
	})
	a, b := ms[0], ms[1]
	for _, m := range ms {
		if m.Token() != "operator-token" || m.CAFile() != certFile || m.Subscription() != a.Subscription() {
			t.Fatalf("replica identity: token %q, ca %s, subscription %s", m.Token(), m.CAFile(), m.Subscription())
		}
		if _, err := os.Stat(m.path(identity.CACertFile)); err == nil {
			t.Fatal("a tagwall API CA was made although --tls-cert was given")
		}
	}
	sa := newSeed(t, a)
	sa.createGroup(t)
	c := &fleetCluster{name: "operator"}
	c.putVia(t, sa, "20.20.20.20")
	written := time.Now()
	deadline := written.Add(time.Second)
	for {
		_, errAllow := frontDoorGet(b.GatewayAddr(), "20.20.20.20", c.fqdn, c.caPEM, "/version")
		_, errDeny := frontDoorGet(b.GatewayAddr(), "8.8.8.8", c.fqdn, c.caPEM, "/version")
		if errAllow == nil && errDeny != nil {
			t.Logf("enforced by the other replica %v after the write", time.Since(written).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not enforced by the other replica within 1 s: allow %v, deny admitted %v", errAllow, errDeny == nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorldReadableTokenFileRefused: a --token-file others can read
// stops the start with a message that says what to do.
func TestWorldReadableTokenFileRefused(t *testing.T) {
	_, _, tokenFile := operatorFiles(t)
	if err := os.Chmod(tokenFile, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir())
	cfg.TokenFile = tokenFile
	m, err := New(t.Context(), cfg)
	if err == nil {
		m.Close()
		t.Fatal("started with a world-readable token file")
	}
	if !errors.Is(err, identity.ErrTokenFileMode) || !containsAll(err.Error(), tokenFile, "0644", "chmod 600") {
		t.Fatalf("error %q does not name the file, its mode and the fix", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
