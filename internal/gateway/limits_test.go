package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestDefaultLimits(t *testing.T) {
	tests := []struct {
		name                        string
		fds                         uint64
		conns, undecided, perSource int
	}{
		{name: "ulimit 4096", fds: 4096, conns: 1792, undecided: 896, perSource: 56},
		{name: "ulimit 20000", fds: 20000, conns: 8750, undecided: 4375, perSource: 273},
		{name: "ulimit 1024", fds: 1024, conns: 448, undecided: 224, perSource: 14},
		{name: "tiny", fds: 16, conns: 16, undecided: 8, perSource: 4},
		{name: "huge", fds: 1 << 40, conns: maxDefaultConns, undecided: maxDefaultUndecided, perSource: maxDefaultUndecided / 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, u, p := defaultLimits(tt.fds)
			if c != tt.conns || u != tt.undecided || p != tt.perSource {
				t.Errorf("defaultLimits(%d) = %d, %d, %d; want %d, %d, %d", tt.fds, c, u, p, tt.conns, tt.undecided, tt.perSource)
			}
		})
	}
}

func TestRaiseFDLimit(t *testing.T) {
	soft, hard, err := RaiseFDLimit()
	if err != nil {
		t.Fatal(err)
	}
	if soft != hard || soft == 0 {
		t.Errorf("RaiseFDLimit = %d, %d; want soft raised to hard", soft, hard)
	}
}

func TestConfigCapsNegative(t *testing.T) {
	if _, err := New(Config{MaxUndecided: -1}); err == nil || !strings.Contains(err.Error(), "connection caps") {
		t.Errorf("New with MaxUndecided -1: error %v, want one naming the caps", err)
	}
}

// idleConns opens n connections from the given local address that send
// nothing, and closes them at cleanup. A connection reset while dialing
// (closed at accept that fast) is returned as a closed connection.
func idleConns(tb testing.TB, gwAddr string, from netip.Addr, n int) []net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))}
	var out []net.Conn
	for range n {
		c, err := d.Dial("tcp", gwAddr)
		if errors.Is(err, syscall.ECONNRESET) {
			a, b := net.Pipe()
			b.Close()
			c = a
		} else if err != nil {
			tb.Fatalf("dial %s from %s: %v", gwAddr, from, err)
		}
		out = append(out, c)
	}
	tb.Cleanup(func() {
		for _, c := range out {
			c.Close()
		}
	})
	return out
}

// deniedCount returns the route-less denials counted with reason.
func deniedCount(tb testing.TB, gw *testGateway, reason string) float64 {
	tb.Helper()
	return metricValue(tb, gw.metrics.conns.WithLabelValues("", DecisionDenied, reason))
}

func TestCloseAtAccept(t *testing.T) {
	up := startUpstream(t, "prod")
	// 127.0.0.1 is not trusted and no route admits it: closed before any
	// read, at once, with no ClientHello timeout to wait for.
	gw := startGateway(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}},
		Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20"), Version: "1"})
	start := time.Now()
	c := idleConns(t, gw.addr, netip.MustParseAddr("127.0.0.1"), 1)[0]
	if err := readErr(c, 2*time.Second); isTimeout(err) {
		t.Fatal("an idle refused peer is still open after 2 s")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("closed after %s, want at accept", d)
	}
	if _, ok := waitFor(time.Second, func() bool { return deniedCount(t, gw, ReasonNotAuthorized) == 1 }); !ok {
		t.Errorf("not-authorized denials = %v, want 1", deniedCount(t, gw, ReasonNotAuthorized))
	}
	gw.FlushAudit()
	expectOneAudit(t, gw, map[string]string{"msg": "denied", "reason": ReasonNotAuthorized, "client": "127.0.0.1", "route": ""})
}

func TestConnectionCaps(t *testing.T) {
	client := netip.MustParseAddr("20.20.20.20")
	tests := []struct {
		name   string
		cfg    Config
		idle   func(t *testing.T, addr string) []net.Conn
		reason string // counted for the caps hit
		admit  bool   // a real client still gets through
		closed int    // how many of the idle connections are closed
	}{
		{
			name: "undecided full: the oldest is dropped",
			cfg:  Config{MaxUndecided: 4, MaxConns: 100},
			idle: func(t *testing.T, addr string) []net.Conn {
				return idleConns(t, addr, netip.MustParseAddr("127.0.0.1"), 4) // trusted, sending nothing
			},
			reason: ReasonEvicted, admit: true, closed: 1,
		},
		{
			name: "live connections full: new ones closed at accept",
			cfg:  Config{MaxConns: 3},
			idle: func(t *testing.T, addr string) []net.Conn {
				return idleConns(t, addr, netip.MustParseAddr("127.0.0.1"), 3)
			},
			reason: ReasonConnLimit, admit: false, closed: 0,
		},
		{
			name: "per-source cap on an untrusted peer",
			cfg:  Config{MaxUndecidedPerSource: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
			idle: func(t *testing.T, addr string) []net.Conn {
				cs := idleConns(t, addr, netip.MustParseAddr("127.0.0.9"), 3) // admitted by 127.0.0.0/24: not refused at accept
				return cs[:2]
			},
			reason: ReasonSourceLimit, admit: true, closed: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, "prod")
			tt.cfg.TrustedProxies = append(tt.cfg.TrustedProxies, netip.MustParsePrefix("127.0.0.1/32"))
			gw := startGateway(t, tt.cfg, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20", "127.0.0.0/24"), Version: "1"})
			idle := tt.idle(t, gw.addr)
			time.Sleep(100 * time.Millisecond) // let the accept loop take them
			var err error
			if c, derr := net.Dial("tcp", gw.addr); derr != nil {
				err = derr // reset at accept
			} else {
				if _, err = c.Write(proxyHeader(t, 2, netip.AddrPortFrom(client, 40000))); err == nil {
					_, err = httpsGet(c, prodSNI)
				}
				c.Close()
			}
			if (err == nil) != tt.admit {
				t.Errorf("real client error = %v, want admitted %v", err, tt.admit)
			}
			if _, ok := waitFor(2*time.Second, func() bool { return deniedCount(t, gw, tt.reason) >= 1 }); !ok {
				t.Errorf("denials with reason %s = 0, want ≥ 1", tt.reason)
			}
			closed := 0
			for _, ic := range idle {
				if err := readErr(ic, 50*time.Millisecond); !isTimeout(err) {
					closed++
				}
			}
			if closed != tt.closed {
				t.Errorf("%d idle connections closed, want %d", closed, tt.closed)
			}
		})
	}
}

func TestPerSourceLimitClaimedClient(t *testing.T) {
	up := startUpstream(t, "prod")
	gw := startGateway(t, Config{MaxUndecidedPerSource: 2}, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20"), Version: "1"})
	hello := clientHelloBytes(t, prodSNI)
	for range 3 { // the same claimed client, each stalled mid-ClientHello
		c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
		c.Write(hello[:10])
		t.Cleanup(func() { c.Close() })
	}
	if _, ok := waitFor(2*time.Second, func() bool { return deniedCount(t, gw, ReasonSourceLimit) == 1 }); !ok {
		t.Errorf("source-limit denials = %v, want 1", deniedCount(t, gw, ReasonSourceLimit))
	}
}

// tlsHandler is a ConnHandler that terminates TLS and serves HTTP on the
// connection until it closes.
type tlsHandler struct {
	cfg    *tls.Config
	mu     sync.Mutex
	remote []string
}

func (h *tlsHandler) ServeConn(c net.Conn) {
	h.mu.Lock()
	h.remote = append(h.remote, c.RemoteAddr().String())
	h.mu.Unlock()
	done := make(chan struct{})
	var once sync.Once
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "local "+r.TLS.ServerName)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				once.Do(func() { close(done) })
			}
		},
	}
	go srv.Serve(&oneConnListener{c: tls.Server(c, h.cfg), done: done})
	<-done
	srv.Close()
}

// oneConnListener hands out one connection, then blocks until done.
type oneConnListener struct {
	c    net.Conn
	done chan struct{}
	mu   sync.Mutex
	used bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	used := l.used
	l.used = true
	l.mu.Unlock()
	if used {
		<-l.done
		return nil, net.ErrClosed
	}
	return l.c, nil
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }

func TestLocalHandler(t *testing.T) {
	h := &tlsHandler{cfg: &tls.Config{Certificates: []tls.Certificate{testCert(t, prodSNI)}}}
	gw := startGateway(t, Config{}, Route{Name: "prod", SNI: prodSNI, Local: h, Allow: list(t, "20.20.20.20"), Version: "1"})
	for _, v := range []byte{1, 2} {
		c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), v)
		got, err := httpsGet(c, prodSNI)
		c.Close()
		if err != nil || got != "local "+prodSNI {
			t.Fatalf("https through a local handler (PROXY v%d) = %q, %v", v, got, err)
		}
	}
	h.mu.Lock()
	if len(h.remote) != 2 || !strings.HasPrefix(h.remote[0], "20.20.20.20:") {
		t.Errorf("handler saw remote addresses %v, want the claimed client", h.remote)
	}
	h.mu.Unlock()

	// Revocation closes a connection the handler still holds.
	c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
	defer c.Close()
	tc := tlsClient(c, prodSNI)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	gw.SetRoutes([]Route{{Name: "prod", SNI: prodSNI, Local: h, Allow: list(t, "20.20.20.21"), Version: "2"}})
	if err := readErr(tc, 2*time.Second); isTimeout(err) {
		t.Fatal("a revoked local connection is still open")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := gw.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestEvictionPrefersIdle(t *testing.T) {
	up := startUpstream(t, "prod")
	gw := startGateway(t, Config{MaxUndecided: 2, MaxConns: 100}, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20"), Version: "1"})
	// The oldest undecided connection is talking (half a ClientHello); the
	// younger one is idle. A third connection evicts the idle one.
	talking := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
	defer talking.Close()
	talking.Write(clientHelloBytes(t, prodSNI)[:20])
	time.Sleep(50 * time.Millisecond)
	quiet := idleConns(t, gw.addr, netip.MustParseAddr("127.0.0.1"), 1)[0]
	time.Sleep(50 * time.Millisecond)
	idleConns(t, gw.addr, netip.MustParseAddr("127.0.0.1"), 1)
	if err := readErr(quiet, time.Second); isTimeout(err) {
		t.Error("the idle connection was not evicted")
	}
	if err := readErr(talking, 100*time.Millisecond); !isTimeout(err) {
		t.Errorf("the talking connection was evicted (%v)", err)
	}
}

func TestSourceKey(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "v4 is itself", in: "20.20.20.20", want: "20.20.20.20"},
		{name: "v6 is its /64", in: "2603:1000:4:5:6:7:8:9", want: "2603:1000:4:5::"},
		{name: "v6 /64 already", in: "2001:db8::", want: "2001:db8::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourceKey(netip.MustParseAddr(tt.in)).String(); got != tt.want {
				t.Errorf("sourceKey(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestConnCapAcrossListeners: with Serve on several listeners at once,
// connections arriving on all of them together never take the live count
// past MaxConns (the slot is reserved before the check, not loaded then
// added), and every one past it is refused as conn-limit.
func TestConnCapAcrossListeners(t *testing.T) {
	const maxConns, listeners, perListener = 8, 4, 40
	up := startUpstream(t, "prod")
	gw := startGateway(t, Config{MaxConns: maxConns, MaxUndecided: maxConns},
		Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20"), Version: "1"})
	addrs := []string{gw.addr}
	for range listeners - 1 {
		ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go gw.Serve(ln)
		addrs = append(addrs, ln.Addr().String())
	}
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Go(func() { idleConns(t, a, netip.MustParseAddr("127.0.0.1"), perListener) })
	}
	wg.Wait()
	want := float64(listeners*perListener - maxConns)
	if _, ok := waitFor(5*time.Second, func() bool { return deniedCount(t, gw, ReasonConnLimit) == want }); !ok {
		t.Errorf("conn-limit refusals = %v, want %v", deniedCount(t, gw, ReasonConnLimit), want)
	}
	if n := gw.front.live.Load(); n != maxConns {
		t.Fatalf("%d live connections, want the cap %d", n, maxConns)
	}
}
