package gateway

import (
	"fmt"

	"github.com/tagwall/tagwall/internal/allowlist"
	"net/netip"
	"testing"
	"time"
)

// TestUpdateRoutes checks UpdateRoutes against the same routes given to
// SetRoutes: set, replace, remove, SNI clashes and the default route.
func TestUpdateRoutes(t *testing.T) {
	a, b := list(t, "20.20.20.0/24"), list(t, "10.0.0.0/8")
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	g.SetRoutes([]Route{{Name: "a", SNI: "a.test", Allow: a, Version: "1"}, {Name: "b", SNI: "b.test", Allow: b, Version: "1"}})
	in, out := netip.MustParseAddr("20.20.20.1"), netip.MustParseAddr("10.1.1.1")
	steps := []struct {
		name   string
		set    []Route
		remove []string
		sni    string
		client netip.Addr
		route  string
		admit  bool
		n      int
	}{
		{name: "unchanged", sni: "a.test", client: in, route: "a", admit: true, n: 2},
		{name: "replace a's list", set: []Route{{Name: "a", SNI: "A.test", Allow: b, Version: "2"}}, sni: "a.test", client: in, route: "a", admit: false, n: 2},
		{name: "b untouched", sni: "b.test", client: out, route: "b", admit: true, n: 2},
		{name: "clash keeps the holder", set: []Route{{Name: "c", SNI: "b.test", Allow: a}}, sni: "b.test", client: out, route: "b", admit: true, n: 2},
		{name: "remove b", remove: []string{"b"}, sni: "b.test", client: out, route: "", admit: false, n: 1},
		{name: "b's sni free again", set: []Route{{Name: "c", SNI: "b.test", Allow: a}}, sni: "b.test", client: in, route: "c", admit: true, n: 2},
		{name: "rename sni", set: []Route{{Name: "c", SNI: "c.test", Allow: a}}, sni: "b.test", client: in, route: "", admit: false, n: 2},
		{name: "default route", set: []Route{{Name: "d", Allow: a}}, sni: "unknown.test", client: in, route: "d", admit: true, n: 3},
		{name: "set wins over remove", set: []Route{{Name: "d", Allow: b}}, remove: []string{"d"}, sni: "x", client: out, route: "d", admit: true, n: 3},
		{name: "remove default", remove: []string{"d", "nothing"}, sni: "x", client: out, route: "", admit: false, n: 2},
	}
	for _, s := range steps {
		g.UpdateRoutes(s.set, s.remove)
		route, ok := g.Check(s.sni, s.client)
		if route != s.route || ok != s.admit || g.RouteCount() != s.n {
			t.Fatalf("%s: Check(%s, %s) = %q, %v with %d routes; want %q, %v with %d", s.name, s.sni, s.client, route, ok, g.RouteCount(), s.route, s.admit, s.n)
		}
		if n := len(g.Routes()); n != s.n {
			t.Fatalf("%s: Routes() has %d, want %d", s.name, n, s.n)
		}
	}
}

// TestUpdateRoutesEarly checks that the early check follows updates.
func TestUpdateRoutesEarly(t *testing.T) {
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := netip.MustParseAddr("8.8.8.8")
	g.UpdateRoutes([]Route{{Name: "a", SNI: "a.test", Allow: list(t, "20.20.20.0/24")}}, nil)
	if !g.table.Load().earlyDenies(out) {
		t.Fatal("one listed route: 8.8.8.8 not denied early")
	}
	g.UpdateRoutes([]Route{{Name: "b", SNI: "b.test"}}, nil) // nil list: decide late
	if g.table.Load().earlyDenies(out) {
		t.Fatal("a nil-list route: early check still on")
	}
	g.UpdateRoutes(nil, []string{"b"})
	if !g.table.Load().earlyDenies(out) {
		t.Fatal("nil-list route removed: early check off")
	}
	many := make([]Route, maxEarlyLists+1)
	for i := range many {
		many[i] = Route{Name: fmt.Sprint("r", i), SNI: fmt.Sprintf("r%d.test", i), Allow: list(t, fmt.Sprintf("30.0.%d.0/24", i))}
	}
	g.UpdateRoutes(many, nil)
	if g.table.Load().earlyDenies(out) {
		t.Fatal("more lists than maxEarlyLists: early check still on")
	}
	g.UpdateRoutes(nil, []string{"r0", "r1"})
	if !g.table.Load().earlyDenies(out) || g.table.Load().earlyDenies(netip.MustParseAddr("30.0.5.1")) {
		t.Fatal("back under maxEarlyLists: early check wrong")
	}
}

// TestUpdateRoutesRevokesChangedOnly checks that UpdateRoutes revokes the
// changed route's connections its new list excludes, within a second,
// and leaves the other routes' connections alone.
func TestUpdateRoutesRevokesChangedOnly(t *testing.T) {
	gw, prod, _ := twoRoutes(t, Config{})
	drop := openSession(t, gw.addr, netip.MustParseAddr("20.20.20.20"), prodSNI)
	other := openSession(t, gw.addr, netip.MustParseAddr("10.1.2.3"), devSNI)
	start := time.Now()
	gw.UpdateRoutes([]Route{{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, azureCloud(t)), Version: "2"}}, nil)
	if err := readErr(drop, 2*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("revoked connection: %v, want closed", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("revocation took %v, want at most 1s", d)
	}
	if err := readErr(other, 100*time.Millisecond); !isTimeout(err) {
		t.Errorf("other route's connection: %v, want open", err)
	}
	if v := metricValue(t, gw.metrics.version.WithLabelValues("prod", "2")); v != 1 {
		t.Errorf("version gauge prod/2 = %v, want 1", v)
	}
	if got := gathered(t, gw.reg, "tagwall_gateway_route_allowlist_info"); len(got) != 2 {
		t.Errorf("version series = %v, want one per route", got)
	}
	gw.UpdateRoutes(nil, []string{"dev"})
	if err := readErr(other, 2*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("removed route's connection: %v, want closed", err)
	}
}

// TestAggregateMetrics checks that RouteMetricsAggregate keeps one series
// set for every route and TopRefused ranks the routes.
func TestAggregateMetrics(t *testing.T) {
	gw, _, _ := twoRoutes(t, Config{RouteMetrics: RouteMetricsAggregate, TopRefused: 1})
	for range 2 {
		c := dialAs(t, gw.addr, netip.MustParseAddr("10.1.2.3"), 2)
		c.Write(clientHelloBytes(t, prodSNI))
		readErr(c, time.Second)
	}
	c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
	c.Write(clientHelloBytes(t, devSNI))
	readErr(c, time.Second)
	time.Sleep(50 * time.Millisecond)
	conns := gathered(t, gw.reg, "tagwall_gateway_connections_total")
	for k := range conns {
		if k != "decision=denied,reason=not-authorized,route=*" && k[len(k)-7:] != "route=*" && k[len(k)-6:] != "route=" {
			t.Errorf("per-route series %q in aggregate mode", k)
		}
	}
	if got := gathered(t, gw.reg, "tagwall_gateway_route_allowlist_info"); len(got) != 0 {
		t.Errorf("version series in aggregate mode: %v", got)
	}
	if got := gathered(t, gw.reg, "tagwall_gateway_top_refused_connections"); len(got) != 1 || got["route=prod"] != 2 {
		t.Errorf("top refused = %v, want route=prod 2", got)
	}
	if got := gathered(t, gw.reg, "tagwall_gateway_routes"); got[""] != 2 {
		t.Errorf("routes gauge = %v, want 2", got)
	}
}

// TestLookupAllocs checks that the connection path's table lookup and
// decision do not allocate, with a sharded table of many routes.
func TestLookupAllocs(t *testing.T) {
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	l := list(t, "20.20.20.0/24")
	routes := make([]Route, 5000)
	for i := range routes {
		routes[i] = Route{Name: fmt.Sprint("r", i), SNI: fmt.Sprintf("r%d.example.test", i), Allow: l}
	}
	g.SetRoutes(routes)
	sni, upper := []byte("r4321.example.test"), []byte("R4321.Example.TEST")
	client := netip.MustParseAddr("20.20.20.20")
	n := testing.AllocsPerRun(1000, func() {
		t := g.table.Load()
		if !t.lookup(sni).admits(client) || !t.lookup(upper).admits(client) {
			panic("not admitted")
		}
	})
	if n != 0 {
		t.Errorf("lookup + admits: %v allocs, want 0", n)
	}
}

// BenchmarkUpdateRoutes measures one route's change in tables of growing
// size: the cost must stay flat.
func BenchmarkUpdateRoutes(b *testing.B) {
	for _, size := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			g, err := New(Config{RouteMetrics: RouteMetricsAggregate})
			if err != nil {
				b.Fatal(err)
			}
			l1, l2 := list(b, "20.20.20.0/24"), list(b, "30.30.30.0/24")
			routes := make([]Route, size)
			for i := range routes {
				routes[i] = Route{Name: fmt.Sprint("r", i), SNI: fmt.Sprintf("r%d.example.test", i), Allow: l1}
			}
			g.SetRoutes(routes)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r := routes[i%size]
				r.Allow = [2]*allowlist.List{l1, l2}[i%2]
				g.UpdateRoutes([]Route{r}, nil)
			}
		})
	}
}

// TestRoutesChanged: the channel RoutesChanged returns is closed by the
// next SetRoutes or UpdateRoutes that has something to do, and not
// before; a new one is returned after.
func TestRoutesChanged(t *testing.T) {
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	a := list(t, "20.20.20.0/24")
	steps := []struct {
		name   string
		change func()
		closes bool
	}{
		{name: "nothing", change: func() {}, closes: false},
		{name: "SetRoutes", change: func() { g.SetRoutes([]Route{{Name: "a", SNI: "a.test", Allow: a}}) }, closes: true},
		{name: "empty UpdateRoutes", change: func() { g.UpdateRoutes(nil, nil) }, closes: false},
		{name: "UpdateRoutes set", change: func() { g.UpdateRoutes([]Route{{Name: "b", SNI: "b.test", Allow: a}}, nil) }, closes: true},
		{name: "UpdateRoutes remove", change: func() { g.UpdateRoutes(nil, []string{"b"}) }, closes: true},
		{name: "SetRoutes empty", change: func() { g.SetRoutes(nil) }, closes: true},
	}
	for _, s := range steps {
		ch := g.RoutesChanged()
		s.change()
		if got := isClosed(ch); got != s.closes {
			t.Fatalf("%s: channel closed %v, want %v", s.name, got, s.closes)
		}
		if s.closes && isClosed(g.RoutesChanged()) {
			t.Fatalf("%s: the next channel is closed already", s.name)
		}
	}
}
