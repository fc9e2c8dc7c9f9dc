package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIssueVerifies(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("test ca", now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		spec   LeafSpec
		verify x509.VerifyOptions
		host   string
	}{
		{name: "localhost ip", spec: LocalhostSpec(), host: "127.0.0.1"},
		{name: "localhost v6", spec: LocalhostSpec(), host: "::1"},
		{name: "localhost name", spec: LocalhostSpec(), host: "localhost"},
		{name: "fqdn", spec: LeafSpec{CommonName: "c", DNSNames: []string{"c-1234.eastus.hcp.tagwall.local"}}, host: "c-1234.eastus.hcp.tagwall.local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf, err := ca.Issue(tt.spec, now)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(leaf.TLS.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: tt.host}); err != nil {
				t.Fatalf("verify %s: %v", tt.host, err)
			}
		})
	}
}

func TestIssueWrongHostFails(t *testing.T) {
	ca, err := NewCA("test ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(LeafSpec{CommonName: "a", DNSNames: []string{"a.example.test"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(leaf.TLS.Certificate[0])
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "b.example.test"}); err == nil {
		t.Fatal("verify for another name succeeded")
	}
	other, _ := NewCA("other", time.Now())
	if _, err := cert.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "a.example.test"}); err == nil {
		t.Fatal("verify against another CA succeeded")
	}
}

func TestLoadOrCreatePersists(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	now := time.Now()
	ca1, created, err := LoadOrCreateCA(cf, kf, "tagwall", now)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	st, err := os.Stat(kf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v, want 0600", st.Mode().Perm())
	}
	ca2, created, err := LoadOrCreateCA(cf, kf, "tagwall", now)
	if err != nil || created {
		t.Fatalf("second start: created=%v err=%v", created, err)
	}
	if !ca1.Cert.Equal(ca2.Cert) {
		t.Fatal("second start made a new CA")
	}

	lc, lk := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	p1, err := LoadOrIssue(lc, lk, ca2, LocalhostSpec(), now)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := LoadOrIssue(lc, lk, ca1, LocalhostSpec(), now)
	if err != nil {
		t.Fatal(err)
	}
	if string(p1.Certificate[0]) != string(p2.Certificate[0]) {
		t.Fatal("leaf reissued although valid")
	}
	// A leaf from another CA is replaced.
	other, _ := NewCA("other", now)
	p3, err := LoadOrIssue(lc, lk, other, LocalhostSpec(), now)
	if err != nil {
		t.Fatal(err)
	}
	if string(p3.Certificate[0]) == string(p1.Certificate[0]) {
		t.Fatal("leaf of the old CA kept")
	}
}

func TestLoadOrCreateHalfPair(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := os.WriteFile(cf, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCA(cf, kf, "x", time.Now()); err == nil {
		t.Fatal("half a pair accepted")
	}
}

func TestTLSHandshake(t *testing.T) {
	ca, _ := NewCA("hs", time.Now())
	leaf, err := ca.Issue(LocalhostSpec(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: host})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func BenchmarkIssue(b *testing.B) {
	ca, _ := NewCA("bench", time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ca.Issue(LocalhostSpec(), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
