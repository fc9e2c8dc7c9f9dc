package gateway

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// serviceTagsDir holds the real documents (never copied into the repo).
const serviceTagsDir = "../../../shared/testdata/servicetags/"

// testCert returns a self-signed certificate for names and 127.0.0.1.
func testCert(tb testing.TB, names ...string) tls.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tagwall test upstream"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// upstream is a TLS HTTP server on loopback that answers with its name.
type upstream struct {
	addr string
	ln   *countingListener
}

func startUpstream(tb testing.TB, name string) *upstream {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.TLS.ServerName)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert(tb, name)}},
		ErrorLog:  nil,
	}
	go srv.ServeTLS(cl, "", "")
	tb.Cleanup(func() { srv.Close() })
	return &upstream{addr: ln.Addr().String(), ln: cl}
}

// testGateway is a gateway serving on a loopback port with captured audit
// lines and metrics.
type testGateway struct {
	*Gateway
	addr  string
	audit *testutil.SyncBuffer
	reg   *prometheus.Registry
}

// auditVia selects how startGateway captures audit lines: "buffer"
// (Config.Audit, as `tagwall gateway` runs) or "slog" (Config.Logger).
// A Config with Audit set keeps its own sink.
var auditVia = "buffer"

func startGateway(tb testing.TB, cfg Config, routes ...Route) *testGateway {
	tb.Helper()
	audit := &testutil.SyncBuffer{}
	reg := prometheus.NewRegistry()
	switch {
	case cfg.Audit != nil: // the caller's sink; audit stays empty
	case auditVia == "buffer":
		cfg.Audit = audit
	case auditVia == "slog":
		cfg.Logger = slog.New(slog.NewJSONHandler(audit, nil))
	default:
		tb.Fatalf("auditVia %q", auditVia)
	}
	cfg.Registerer = reg
	if cfg.TrustedProxies == nil {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	g.SetRoutes(routes)
	ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		if err := <-served; !errors.Is(err, net.ErrClosed) {
			tb.Errorf("Serve returned %v, want net.ErrClosed", err)
		}
	})
	return &testGateway{Gateway: g, addr: ln.Addr().String(), audit: audit, reg: reg}
}

// list builds an allowlist of prefixes and tag sets.
func list(tb testing.TB, entries ...any) *allowlist.List {
	tb.Helper()
	var b allowlist.Builder
	for _, e := range entries {
		switch e := e.(type) {
		case string:
			p, err := netip.ParsePrefix(e)
			if err != nil {
				a := netip.MustParseAddr(e)
				p = netip.PrefixFrom(a, a.BitLen())
			}
			b.AddPrefix(p, e)
		case *allowlist.TagSet:
			b.AddTag(e, e.Name())
		}
	}
	l, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

var (
	azureOnce sync.Once
	azureCat  *servicetag.Catalog
	azureErr  error
)

// azureCloud returns the AzureCloud tag of the real 2025-10-13 document.
func azureCloud(tb testing.TB) *allowlist.TagSet {
	tb.Helper()
	azureOnce.Do(func() {
		data, err := os.ReadFile(serviceTagsDir + "azure-public-2025-10-13.json")
		if err != nil {
			azureErr = err
			return
		}
		doc, err := servicetag.Parse("azure-public-2025-10-13.json", data)
		if err != nil {
			azureErr = err
			return
		}
		azureCat = servicetag.NewCatalog(doc)
	})
	if azureErr != nil {
		tb.Fatalf("load the real service-tag document: %v", azureErr)
	}
	tag, ok := azureCat.Lookup("AzureCloud")
	if !ok {
		tb.Fatal("AzureCloud missing from the real document")
	}
	return allowlist.NewTagSet(tag.Name, tag.ChangeNumber, tag.Prefixes)
}

// dialAs connects to the gateway from 127.0.0.1 and, unless client is the
// zero value, sends a PROXY v2 header claiming client.
func dialAs(tb testing.TB, gwAddr string, client netip.Addr, version byte) *net.TCPConn {
	tb.Helper()
	c, err := net.Dial("tcp", gwAddr)
	if err != nil {
		tb.Fatal(err)
	}
	if client.IsValid() {
		if _, err := c.Write(proxyHeader(tb, version, netip.AddrPortFrom(client, 40000))); err != nil {
			tb.Fatal(err)
		}
	}
	return c.(*net.TCPConn)
}

// httpsGet runs one HTTPS request over c with server name sni and returns
// the body.
func httpsGet(c net.Conn, sni string) (string, error) {
	tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return "", err
	}
	if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+sni+"\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufioReader(tc), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// waitFor polls cond until it holds or d passes, and returns how long it
// took and whether it held.
func waitFor(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func tlsClient(c net.Conn, sni string) *tls.Conn {
	return tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
}

// readErr reads from c for up to d and returns the error (a timeout when
// the connection stayed open and silent).
func readErr(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
}

// metricValue reads one counter or gauge, as prometheus/testutil.ToFloat64
// does (testutil pulls a module this repo does not require).
func metricValue(tb testing.TB, m prometheus.Metric) float64 {
	tb.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		tb.Fatal(err)
	}
	switch {
	case pb.Counter != nil:
		return pb.Counter.GetValue()
	case pb.Gauge != nil:
		return pb.Gauge.GetValue()
	}
	tb.Fatalf("metric %v is neither a counter nor a gauge", m.Desc())
	return 0
}

// gathered returns the samples of the named family as label-string → value.
func gathered(tb testing.TB, reg *prometheus.Registry, name string) map[string]float64 {
	tb.Helper()
	fams, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}
