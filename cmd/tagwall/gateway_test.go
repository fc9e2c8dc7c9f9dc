package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/tagwall/tagwall/internal/testutil"
)

func TestGatewayBadInput(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("listen: 127.0.0.1:0\nroutes:\n  - sni: a.test\n    upstrem: 127.0.0.1:1\n    allowAll: true\n"), 0o600)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("listen: 127.0.0.1:0\nroutes:\n  - {sni: a.test, upstream: 127.0.0.1:1, allowAll: true}\n"), 0o600)
	unknownTag := filepath.Join(dir, "tag.yaml")
	os.WriteFile(unknownTag, fmt.Appendf(nil, "listen: 127.0.0.1:0\nserviceTags: [{source: %s}]\nroutes:\n  - {sni: a.test, upstream: 127.0.0.1:1, authorizedIPRanges: [AzureCloudd]}\n",
		mustAbsPath(t, shared(t, "azure-public-2025-10-13.json"))), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no config", args: []string{"gateway"}, want: "--config FILE is required"},
		{name: "missing file", args: []string{"gateway", "--config", filepath.Join(dir, "nope.yaml")}, want: "nope.yaml"},
		{name: "typo", args: []string{"gateway", "--config", typo}, want: "field upstrem not found"},
		{name: "unknown tag", args: []string{"gateway", "--config", unknownTag, "--check"}, want: "AzureCloudd"},
		{name: "negative cap flag", args: []string{"gateway", "--config", good, "--max-undecided", "-1"}, want: "--max-undecided -1: must not be negative"},
		{name: "negative timeout flag", args: []string{"gateway", "--config", good, "--client-hello-timeout", "-1s"}, want: "--client-hello-timeout -1s"},
		{name: "bad log level", args: []string{"gateway", "--config", typo, "--log-level", "loud"}, want: "--log-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := tagwall(t, tt.args...)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, tt.want)
			}
		})
	}
}

func mustAbsPath(tb testing.TB, p string) string {
	tb.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// TestGatewayRun runs the command for real: a client claiming 20.20.20.20
// is let through to a TLS upstream, 8.8.8.8 is denied with an audit line,
// and SIGTERM shuts it down with status 0.
func TestGatewayRun(t *testing.T) {
	upLn, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer upLn.Close()
	go func() {
		for {
			c, err := upLn.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Write([]byte("hello")); c.Close() }()
		}
	}()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "gateway.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `listen: 127.0.0.1:0
proxyProtocol: {trustedPeers: [127.0.0.0/8]}
serviceTags: [{source: %s}]
routes:
  - sni: api.prod.example.test
    upstream: %s
    authorizedIPRanges: [AzureCloud, 20.20.20.20]
`, mustAbsPath(t, shared(t, "azure-public-2025-10-13.json")), upLn.Addr()), 0o600)

	var stdout, stderr testutil.SyncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"gateway", "--config", cfgPath, "--shutdown-timeout", "1s", "--pprof", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	addrRE := regexp.MustCompile(`"msg":"gateway listening","addr":"([^"]+)"`)
	var addr string
	deadline := time.Now().Add(20 * time.Second)
	for addr == "" {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %s", stderr.String())
		}
		select {
		case code := <-exited:
			t.Fatalf("gateway exited %d: %s", code, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	through := func(client string) error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		src := net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(client), 1))
		proxyproto.HeaderProxyFromAddrs(2, src, c.LocalAddr()).WriteTo(c)
		tc := tls.Client(c, &tls.Config{ServerName: "api.prod.example.test", InsecureSkipVerify: true})
		tc.SetDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 5)
		if _, err := tc.Read(buf); err != nil {
			return err
		}
		if string(buf) != "hello" {
			return fmt.Errorf("read %q", buf)
		}
		return nil
	}
	if err := through("20.20.20.20"); err != nil {
		t.Errorf("20.20.20.20: %v", err)
	}
	if err := through("8.8.8.8"); err == nil {
		t.Error("8.8.8.8 was let through")
	}
	if _, ok := waitUntil(2*time.Second, func() bool { return strings.Contains(stderr.String(), `"msg":"denied"`) }); !ok {
		t.Errorf("no audit line: %s", stderr.String())
	}
	// No route admits 8.8.8.8, so it is refused right after the PROXY
	// header, before its ClientHello: the audit line names no route.
	if n := strings.Count(stderr.String(), `"msg":"denied","route":"","client":"8.8.8.8"`); n != 1 {
		t.Errorf("%d audit lines for 8.8.8.8, want 1: %s", n, stderr.String())
	}
	if m := regexp.MustCompile(`"msg":"pprof listening","addr":"([^"]+)"`).FindStringSubmatch(stderr.String()); m == nil {
		t.Errorf("no pprof listener: %s", stderr.String())
	} else if resp, err := http.Get("http://" + m[1] + "/debug/pprof/cmdline"); err != nil {
		t.Errorf("pprof: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /debug/pprof/cmdline: %s", resp.Status)
		}
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not stop on SIGTERM")
	}
}

func waitUntil(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start), true
}

// selfSigned is a throwaway certificate for a loopback TLS upstream.
func selfSigned(tb testing.TB) tls.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"api.prod.example.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
