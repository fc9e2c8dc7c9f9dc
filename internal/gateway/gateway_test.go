package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

const (
	prodSNI = "api.prod.example.test"
	devSNI  = "api.dev.example.test"
)

// twoRoutes starts two upstreams and a gateway routing prod (20.20.20.20
// and AzureCloud) and dev (10.0.0.0/8) to them.
func twoRoutes(t *testing.T, cfg Config) (gw *testGateway, prod, dev *upstream) {
	t.Helper()
	prod, dev = startUpstream(t, "prod"), startUpstream(t, "dev")
	gw = startGateway(t, cfg,
		Route{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, "20.20.20.20", azureCloud(t)), Version: "1"},
		Route{Name: "dev", SNI: devSNI, Upstream: dev.addr, Allow: list(t, "10.0.0.0/8"), Version: "7"},
	)
	return gw, prod, dev
}

// azureAddr is an address inside the real AzureCloud tag.
func azureAddr(t *testing.T) netip.Addr {
	t.Helper()
	ts := azureCloud(t)
	for _, p := range ts.Prefixes() {
		if p.Addr().Is4() {
			return p.Addr().Next()
		}
	}
	t.Fatal("AzureCloud has no IPv4 prefix")
	return netip.Addr{}
}

func TestAllowedThroughTLS(t *testing.T) {
	gw, prod, dev := twoRoutes(t, Config{})
	tests := []struct {
		name    string
		client  netip.Addr
		version byte
		sni     string
		want    string
	}{
		{name: "listed address, v2 header", client: netip.MustParseAddr("20.20.20.20"), version: 2, sni: prodSNI, want: "prod " + prodSNI},
		{name: "listed address, v1 header", client: netip.MustParseAddr("20.20.20.20"), version: 1, sni: prodSNI, want: "prod " + prodSNI},
		{name: "AzureCloud address", client: azureAddr(t), version: 2, sni: prodSNI, want: "prod " + prodSNI},
		{name: "second route by sni", client: netip.MustParseAddr("10.1.2.3"), version: 2, sni: devSNI, want: "dev " + devSNI},
		{name: "sni case-insensitive", client: netip.MustParseAddr("10.1.2.3"), version: 2, sni: "API.Dev.Example.Test", want: "dev API.Dev.Example.Test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialAs(t, gw.addr, tt.client, tt.version)
			defer c.Close()
			got, err := httpsGet(c, tt.sni)
			if err != nil {
				t.Fatalf("https through the gateway: %v", err)
			}
			if got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
	if n := metricValue(t, gw.metrics.conns.WithLabelValues("prod", DecisionAllowed, ReasonAuthorized)); n != 3 {
		t.Errorf("prod allowed = %v, want 3", n)
	}
	if prod.ln.n.Load() != 3 || dev.ln.n.Load() != 2 {
		t.Errorf("upstream accepts prod=%d dev=%d, want 3 and 2", prod.ln.n.Load(), dev.ln.n.Load())
	}
	if lines := gw.audit.JSONLines(t); len(lines) != 0 {
		t.Errorf("audit lines for allowed connections with AuditAllowed off: %v", lines)
	}
}

// expectClosed asserts the gateway closes c without sending anything.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1)
	n, err := c.Read(buf)
	if err == nil || n != 0 {
		t.Fatalf("read from a denied connection = %d, %v; want the connection closed", n, err)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("denied connection still open after 3s")
	}
}

// expectOneAudit asserts exactly one audit line with the given fields.
func expectOneAudit(t *testing.T, gw *testGateway, want map[string]string) {
	t.Helper()
	if _, ok := waitFor(2*time.Second, func() bool { return len(gw.audit.JSONLines(t)) > 0 }); !ok {
		t.Fatal("no audit line")
	}
	time.Sleep(20 * time.Millisecond) // a second line would show up by now
	if err := gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	lines := gw.audit.JSONLines(t)
	if len(lines) != 1 {
		t.Fatalf("audit lines = %v, want exactly one", lines)
	}
	l := lines[0]
	for _, k := range []string{"time", "msg", "route", "client", "peer", "sni", "reason", "version"} {
		if _, ok := l[k]; !ok {
			t.Errorf("audit line lacks %q: %v", k, l)
		}
	}
	for k, v := range want {
		if got, _ := l[k].(string); got != v {
			t.Errorf("audit %s = %q, want %q (line %v)", k, got, v, l)
		}
	}
	if peer, _ := l["peer"].(string); !strings.HasPrefix(peer, "127.0.0.1:") {
		t.Errorf("audit peer = %q, want 127.0.0.1:port", peer)
	}
}

// TestDeniedNotAuthorized covers both places a not-authorized denial is
// taken: before the ClientHello when no route admits the client (route and
// sni empty), and after it when another route admits the client but the
// route its SNI names does not.
func TestDeniedNotAuthorized(t *testing.T) {
	tests := []struct {
		name   string
		client string
		send   func(t *testing.T, c net.Conn) // after the PROXY header
		want   map[string]string
		route  string // label of the counted denial
	}{
		{
			name: "no route admits, clienthello sent", client: "8.8.8.8",
			send: func(t *testing.T, c net.Conn) { go httpsGet(c, prodSNI) },
			want: map[string]string{"msg": "denied", "route": "", "client": "8.8.8.8", "sni": "", "reason": ReasonNotAuthorized, "version": ""},
		},
		{
			name: "no route admits, PROXY header only", client: "8.8.8.8",
			send: func(t *testing.T, c net.Conn) {},
			want: map[string]string{"msg": "denied", "route": "", "client": "8.8.8.8", "sni": "", "reason": ReasonNotAuthorized, "version": ""},
		},
		{
			name: "no route admits, IPv6", client: "2001:db8::1",
			send: func(t *testing.T, c net.Conn) {},
			want: map[string]string{"msg": "denied", "route": "", "client": "2001:db8::1", "sni": "", "reason": ReasonNotAuthorized, "version": ""},
		},
		{
			name: "admitted by dev, sni names prod", client: "10.1.2.3",
			send:  func(t *testing.T, c net.Conn) { go httpsGet(c, prodSNI) },
			want:  map[string]string{"msg": "denied", "route": "prod", "client": "10.1.2.3", "sni": prodSNI, "reason": ReasonNotAuthorized, "version": "1"},
			route: "prod",
		},
		{
			name: "admitted by prod, sni names dev", client: "20.20.20.20",
			send:  func(t *testing.T, c net.Conn) { go httpsGet(c, devSNI) },
			want:  map[string]string{"msg": "denied", "route": "dev", "client": "20.20.20.20", "sni": devSNI, "reason": ReasonNotAuthorized, "version": "7"},
			route: "dev",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A long ClientHello timeout: an early denial must not wait for it.
			gw, prod, dev := twoRoutes(t, Config{ClientHelloTimeout: time.Minute})
			c := dialAs(t, gw.addr, netip.MustParseAddr(tt.client), 2)
			defer c.Close()
			tt.send(t, c)
			expectClosed(t, c)
			expectOneAudit(t, gw, tt.want)
			if n := metricValue(t, gw.metrics.conns.WithLabelValues(tt.route, DecisionDenied, ReasonNotAuthorized)); n != 1 {
				t.Errorf("denied count for route %q = %v, want 1", tt.route, n)
			}
			time.Sleep(50 * time.Millisecond)
			if n := prod.ln.n.Load() + dev.ln.n.Load(); n != 0 {
				t.Errorf("upstreams accepted %d connections for a denied client, want 0", n)
			}
		})
	}
}

// TestEarlyTable checks when a table takes the early check, against a slow
// reference: "does any route admit the client".
func TestEarlyTable(t *testing.T) {
	a, b := list(t, "20.20.20.0/24"), list(t, "10.0.0.0/8", "2001:db8:1::/48")
	var all allowlist.Builder
	all.AllowAll()
	allowAll, err := all.Build()
	if err != nil {
		t.Fatal(err)
	}
	many := make([]Route, maxEarlyLists+1)
	for i := range many {
		many[i] = Route{Name: fmt.Sprint("r", i), SNI: fmt.Sprintf("r%d.example.test", i), Upstream: "127.0.0.1:1", Allow: list(t, fmt.Sprintf("20.0.%d.0/24", i))}
	}
	tests := []struct {
		name   string
		routes []Route
		early  bool
		lists  int
	}{
		{name: "empty table", routes: nil, early: false},
		{name: "two lists", routes: []Route{{Name: "a", SNI: "a.test", Allow: a}, {Name: "b", Allow: b}}, early: true, lists: 2},
		{name: "shared list counted once", routes: []Route{{Name: "a", SNI: "a.test", Allow: a}, {Name: "b", SNI: "b.test", Allow: a}}, early: true, lists: 1},
		{name: "nil allow keeps the late decision", routes: []Route{{Name: "a", SNI: "a.test", Allow: a}, {Name: "b", SNI: "b.test"}}, early: false},
		{name: "allow-all route", routes: []Route{{Name: "a", SNI: "a.test", Allow: a}, {Name: "b", Allow: allowAll}}, early: false},
		{name: "too many lists", routes: many, early: false},
		{name: "exactly the limit", routes: many[:maxEarlyLists], early: true, lists: maxEarlyLists},
		// A route's live grants are one more early list: their addresses
		// pass, everyone else is still denied early.
		{name: "grants", routes: []Route{{Name: "a", SNI: "a.test", Allow: a, Grants: []Grant{
			{Prefix: netip.MustParsePrefix("8.8.8.0/24"), Name: "oncall", Expires: time.Now().Add(time.Hour)},
			{Prefix: netip.MustParsePrefix("2001:db8:2::/48"), Name: "vendor", Expires: time.Now().Add(time.Hour)}}}},
			early: true, lists: 2},
		{name: "grants and the limit", routes: append(slices.Clone(many[:maxEarlyLists-1]), Route{Name: "g", SNI: "g.test", Allow: a,
			Grants: []Grant{{Prefix: netip.MustParsePrefix("8.8.8.0/24"), Name: "x", Expires: time.Now().Add(time.Hour)}}}), early: false},
	}
	addrs := []string{"20.20.20.20", "20.20.21.1", "10.9.9.9", "8.8.8.8", "20.0.3.4", "2001:db8:1::5", "2001:db8:2::5", "::1"}
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, _, _ := g.buildTable(tt.routes)
			if tab.early != tt.early || len(tab.lists) != tt.lists {
				t.Fatalf("early = %v with %d lists, want %v with %d", tab.early, len(tab.lists), tt.early, tt.lists)
			}
			for _, s := range addrs {
				addr := netip.MustParseAddr(s)
				anyAdmits := false
				tab.byName.each(func(e *routeEntry) { anyAdmits = anyAdmits || e.admits(addr) })
				want := tt.early && !anyAdmits
				if got := tab.earlyDenies(addr); got != want {
					t.Errorf("earlyDenies(%s) = %v, want %v", s, got, want)
				}
			}
		})
	}
}

func TestDenials(t *testing.T) {
	hello := clientHelloBytes(t, prodSNI)
	tests := []struct {
		name   string
		cfg    Config
		send   func(t *testing.T, c net.Conn)
		reason string
		client string
		sni    string
	}{
		{
			name:   "proxy header from an untrusted peer",
			cfg:    Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}},
			send:   func(t *testing.T, c net.Conn) { c.Write(proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:1"))) },
			reason: ReasonUntrustedProxy, client: "127.0.0.1",
		},
		{
			name:   "v1 proxy header from an untrusted peer",
			cfg:    Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}},
			send:   func(t *testing.T, c net.Conn) { c.Write(proxyHeader(t, 1, netip.MustParseAddrPort("20.20.20.20:1"))) },
			reason: ReasonUntrustedProxy, client: "127.0.0.1",
		},
		{
			name: "clienthello never completes",
			cfg:  Config{ClientHelloTimeout: 200 * time.Millisecond},
			send: func(t *testing.T, c net.Conn) {
				c.Write(proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:1")))
				c.Write(hello[:len(hello)/2])
			},
			reason: ReasonHelloTimeout, client: "20.20.20.20",
		},
		{
			name: "garbage instead of a clienthello",
			send: func(t *testing.T, c net.Conn) {
				c.Write(proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:1")))
				c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			},
			reason: ReasonBadClientHello, client: "20.20.20.20",
		},
		{
			name: "unknown sni and no default route",
			send: func(t *testing.T, c net.Conn) {
				c.Write(proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:1")))
				c.Write(clientHelloBytes(t, "other.example.test"))
			},
			reason: ReasonNoRoute, client: "20.20.20.20", sni: "other.example.test",
		},
		{
			name:   "missing required proxy header",
			cfg:    Config{RequireProxyHeader: true},
			send:   func(t *testing.T, c net.Conn) { c.Write(hello) },
			reason: ReasonProxyHeaderRequired, client: "127.0.0.1",
		},
		{
			name:   "malformed proxy header",
			send:   func(t *testing.T, c net.Conn) { c.Write([]byte("PROXY TCP4 not an address\r\n")) },
			reason: ReasonBadProxyHeader, client: "127.0.0.1",
		},
	}
	for _, via := range []string{"buffer", "slog"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				defer func(v string) { auditVia = v }(auditVia)
				auditVia = via
				up := startUpstream(t, "prod")
				gw := startGateway(t, tt.cfg, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "0.0.0.0/0", "127.0.0.0/8"), Version: "1"})
				c, err := net.Dial("tcp", gw.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				tt.send(t, c)
				expectClosed(t, c)
				expectOneAudit(t, gw, map[string]string{"msg": "denied", "route": "", "reason": tt.reason, "client": tt.client, "sni": tt.sni})
				if n := metricValue(t, gw.metrics.conns.WithLabelValues("", DecisionDenied, tt.reason)); n != 1 {
					t.Errorf("tagwall_gateway_connections_total{reason=%q} = %v, want 1", tt.reason, n)
				}
				if n := up.ln.n.Load(); n != 0 {
					t.Errorf("upstream accepted %d connections, want 0", n)
				}
			})
		}
	}
}

func TestDefaultRoute(t *testing.T) {
	up := startUpstream(t, "default")
	gw := startGateway(t, Config{}, Route{Name: "default", Upstream: up.addr, Allow: list(t, "20.20.20.0/24"), Version: "d"})
	for _, sni := range []string{"", "unknown.example.test"} {
		c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
		tc := sni
		if tc == "" {
			tc = "127.0.0.1" // crypto/tls sends no SNI for an IP address
		}
		if _, err := httpsGet(c, tc); err != nil {
			t.Errorf("sni %q through the default route: %v", sni, err)
		}
		c.Close()
	}
}

func TestNilAllowDeniesAll(t *testing.T) {
	up := startUpstream(t, "prod")
	gw := startGateway(t, Config{}, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr})
	c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
	defer c.Close()
	go httpsGet(c, prodSNI)
	expectClosed(t, c)
	expectOneAudit(t, gw, map[string]string{"reason": ReasonNotAuthorized, "route": "prod"})
}

// openSession establishes a TLS session through the gateway and returns
// it after one request/response round trip on a kept-alive connection.
func openSession(t *testing.T, gwAddr string, client netip.Addr, sni string) net.Conn {
	t.Helper()
	c := dialAs(t, gwAddr, client, 2)
	tc := tlsClient(c, sni)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake for %s: %v", client, err)
	}
	t.Cleanup(func() { tc.Close() })
	return tc
}

func TestRevocation(t *testing.T) {
	gw, prod, _ := twoRoutes(t, Config{})
	keep := openSession(t, gw.addr, azureAddr(t), prodSNI)
	drop := openSession(t, gw.addr, netip.MustParseAddr("20.20.20.20"), prodSNI)

	gw.SetRoutes([]Route{
		{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, azureCloud(t)), Version: "2"},
	})
	start := time.Now()
	if err := readErr(drop, 2*time.Second); err == nil {
		t.Fatal("revoked connection still open")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("revocation took %v, want at most 1s", d)
	}
	if err := readErr(keep, 100*time.Millisecond); err == nil || !isTimeout(err) {
		t.Errorf("still-authorized connection: read error %v, want a timeout (connection open)", err)
	}
	if n := metricValue(t, gw.metrics.revoked.WithLabelValues("prod")); n != 1 {
		t.Errorf("revoked = %v, want 1", n)
	}
	if err := gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	lines := gw.audit.JSONLines(t)
	if len(lines) != 1 || lines[0]["msg"] != "revoked" || lines[0]["client"] != "20.20.20.20" {
		t.Errorf("audit = %v, want one revoked line for 20.20.20.20", lines)
	}
	if v := metricValue(t, gw.metrics.version.WithLabelValues("prod", "2")); v != 1 {
		t.Errorf("version gauge for prod/2 = %v, want 1", v)
	}
}

func TestRevokeExistingOff(t *testing.T) {
	off := false
	gw, prod, _ := twoRoutes(t, Config{RevokeExisting: &off})
	s := openSession(t, gw.addr, netip.MustParseAddr("20.20.20.20"), prodSNI)
	gw.SetRoutes([]Route{{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, "1.1.1.1"), Version: "2"}})
	if err := readErr(s, 200*time.Millisecond); !isTimeout(err) {
		t.Errorf("with RevokeExisting off the connection ended: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	gw, _, _ := twoRoutes(t, Config{})
	s := openSession(t, gw.addr, netip.MustParseAddr("20.20.20.20"), prodSNI)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := gw.Shutdown(ctx); err == nil {
		t.Error("Shutdown with a live connection returned nil, want the context error")
	}
	if err := readErr(s, time.Second); err == nil || isTimeout(err) {
		t.Errorf("live connection after Shutdown: %v, want closed", err)
	}
	if _, err := net.DialTimeout("tcp", gw.addr, time.Second); err == nil {
		t.Error("listener still accepting after Shutdown")
	}
}

func TestServiceTagMetrics(t *testing.T) {
	gw := startGateway(t, Config{})
	gw.SetServiceTagStatus("azure.json", 373, time.Now().Add(-time.Minute))
	if got := gathered(t, gw.reg, "tagwall_servicetag_change_number"); got["source=azure.json"] != 373 {
		t.Errorf("change number series = %v, want source=azure.json 373", got)
	}
	age := gathered(t, gw.reg, "tagwall_servicetag_last_success_age_seconds")["source=azure.json"]
	if age < 59 || age > 120 {
		t.Errorf("age = %v, want about 60s", age)
	}
}
