package gwconfig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/testutil"
)

// tlsUpstream is a TLS server that completes handshakes and echoes.
func tlsUpstream(tb testing.TB) string {
	tb.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"api.prod.example.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// session opens a TLS session through gw as client and reports whether
// the handshake (one upstream round trip) succeeded.
func session(gwAddr string, client netip.Addr) (net.Conn, error) {
	c, err := net.Dial("tcp", gwAddr)
	if err != nil {
		return nil, err
	}
	h := proxyproto.HeaderProxyFromAddrs(2, net.TCPAddrFromAddrPort(netip.AddrPortFrom(client, 1)), c.LocalAddr())
	if _, err := h.WriteTo(c); err != nil {
		c.Close()
		return nil, err
	}
	tc := tls.Client(c, &tls.Config{ServerName: "api.prod.example.test", InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(3 * time.Second))
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}

func admitted(gwAddr string, client netip.Addr) bool {
	c, err := session(gwAddr, client)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func configYAML(upstream string, ranges ...string) string {
	return fmt.Sprintf(`listen: 127.0.0.1:0
proxyProtocol:
  trustedPeers: [127.0.0.0/8]
serviceTags:
  - source: %s
routes:
  - sni: api.prod.example.test
    upstream: %s
    authorizedIPRanges: [%s]
`, filepath.Join(mustAbs(serviceTagsDir), "azure-public-2025-10-13.json"), upstream, strings.Join(ranges, ", "))
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// writeFile replaces path the way editors do: write a temporary file,
// rename it over the old one.
func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
}

// running is a gateway driven by a Runner over a temporary config file.
type running struct {
	path string
	addr string
	hup  chan os.Signal
	log  *testutil.SyncBuffer
	r    *Runner
	done chan struct{} // closed when Watch (if any) returned
}

// startRunner runs a Runner over content with default options and a
// temporary cache dir; with watch, Watch runs too.
func startRunner(t *testing.T, content string, watch bool) *running {
	t.Helper()
	rn, err := startRunnerWith(t, content, RunnerOptions{}, watch)
	if err != nil {
		t.Fatal(err)
	}
	return rn
}

// startRunnerWith runs a Runner over content with o (its Log is the
// running's; an empty CacheDir is a temporary one) and serves its gateway;
// with watch, Watch runs too. When Start fails it returns the error and a
// running with only the log.
func startRunnerWith(t testing.TB, content string, o RunnerOptions, watch bool) (*running, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	writeFile(t, path, content)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	gcfg := cfg.Gateway()
	gcfg.Logger = log
	gw, err := gateway.New(gcfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.Log = log
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(dir, "cache")
	}
	r := NewRunner(path, gw, o)
	t.Cleanup(r.Close)
	raw, _ := os.ReadFile(path)
	if err := r.Start(ctx, cfg, raw); err != nil {
		cancel()
		return &running{log: logs}, err
	}
	rn := serveRunner(t, gw, cancel)
	if watch {
		go func() { r.Watch(ctx, rn.hup); close(rn.done) }()
		time.Sleep(50 * time.Millisecond) // let the watcher register
	} else {
		close(rn.done)
	}
	rn.path, rn.log, rn.r = path, logs, r
	return rn, nil
}

// serveRunner serves gw on loopback until the test ends; cancel stops the
// Runner's context then.
func serveRunner(t testing.TB, gw *gateway.Gateway, cancel context.CancelFunc) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ln)
	rn := &running{addr: ln.Addr().String(), hup: make(chan os.Signal, 1), done: make(chan struct{})}
	t.Cleanup(func() {
		cancel()
		<-rn.done
		sctx, c2 := context.WithTimeout(context.Background(), time.Second)
		defer c2()
		gw.Shutdown(sctx)
	})
	return rn
}

// within polls cond and fails unless it holds within 5×bound, and logs
// how long it took. The latency itself is measured by benchmarks
// (BenchmarkReloadLatency: about 1 ms from an edit to the new decisions),
// not asserted here, where each check is a TLS session through the
// gateway on a machine shared with the rest of the suite.
func within(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*bound {
			t.Fatalf("%s: not after %v (bound %v)", what, time.Since(start), bound)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("%s took %v (bound %v)", what, time.Since(start), bound)
}

var (
	alice = netip.MustParseAddr("20.20.20.20")
	bob   = netip.MustParseAddr("30.30.30.30")
)

func TestReloadOnEdit(t *testing.T) {
	up := tlsUpstream(t)
	rn := startRunner(t, configYAML(up, "20.20.20.20"), true)
	if !admitted(rn.addr, alice) || admitted(rn.addr, bob) {
		t.Fatal("initial config: want alice in, bob out")
	}
	live, err := session(rn.addr, alice)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	writeFile(t, rn.path, configYAML(up, "30.30.30.30"))
	within(t, 100*time.Millisecond, "new connections decided by the edited file", func() bool { return admitted(rn.addr, bob) })
	within(t, time.Second, "now-unauthorized live connection closed", func() bool {
		live.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		_, err := live.Read(make([]byte, 1))
		ne, ok := err.(net.Error)
		return err != nil && !(ok && ne.Timeout())
	})
	if admitted(rn.addr, alice) {
		t.Error("alice still admitted after the edit")
	}

	// A broken file changes nothing.
	writeFile(t, rn.path, strings.Replace(configYAML(up, "20.20.20.20"), "upstream:", "upstreem:", 1))
	within(t, time.Second, "rejection logged", func() bool { return strings.Contains(rn.log.String(), "gateway config rejected") })
	if !admitted(rn.addr, bob) || admitted(rn.addr, alice) {
		t.Error("a broken file changed the decisions")
	}
	if !strings.Contains(rn.log.String(), "upstreem") {
		t.Errorf("rejection log does not name the problem: %s", rn.log.String())
	}
	// An unknown tag is rejected too, with the tag named.
	writeFile(t, rn.path, configYAML(up, "AzureCloudd"))
	within(t, time.Second, "unknown tag logged", func() bool { return strings.Contains(rn.log.String(), "AzureCloudd") })
	if !admitted(rn.addr, bob) {
		t.Error("a file with an unknown tag changed the decisions")
	}
}

func TestReloadOnSIGHUP(t *testing.T) {
	up := tlsUpstream(t)
	rn := startRunner(t, configYAML(up, "AzureCloud", "20.20.20.20"), false)
	// Change the file while nothing watches it, then watch and signal. The
	// compiled AzureCloud set is reused from the TagCache.
	writeFile(t, rn.path, configYAML(up, "AzureCloud"))
	if !admitted(rn.addr, alice) {
		t.Fatal("file changed without a reload")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { rn.r.Watch(ctx, rn.hup); close(done) }()
	defer func() { cancel(); <-done }()
	azure := firstV4(t, catalog(t, "azure-public-2025-10-13.json"), "AzureCloud")
	rn.hup <- syscall.SIGHUP
	within(t, 100*time.Millisecond, "SIGHUP reload", func() bool { return !admitted(rn.addr, alice) })
	if !admitted(rn.addr, azure) {
		t.Error("AzureCloud address refused after SIGHUP")
	}
}

func TestStartFailsOnMissingSource(t *testing.T) {
	c, err := Parse("x.yaml", []byte("listen: 127.0.0.1:0\nserviceTags: [{source: /nonexistent/tags.json}]\nroutes: [{upstream: 127.0.0.1:1, allowAll: true}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := gateway.New(gateway.Config{})
	r := NewRunner("x.yaml", gw, RunnerOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(r.Close)
	if err := r.Start(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "/nonexistent/tags.json") {
		t.Fatalf("Start = %v, want an error naming the source", err)
	}
}
