package gateway

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// reasonRecorder is a DecisionRecorder keeping the denials' reasons.
type reasonRecorder struct {
	mu      sync.Mutex
	reasons []string
}

func (r *reasonRecorder) Record(_ string, _ netip.Addr, allowed bool, reason string, _ time.Time) {
	if !allowed {
		r.mu.Lock()
		r.reasons = append(r.reasons, reason)
		r.mu.Unlock()
	}
}

func (r *reasonRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reasons...)
}

// TestStoppedRoute: a Stopped route refuses a client its list admits, with
// reason cluster-stopped (audit and metric), and the same route started
// again admits it.
func TestStoppedRoute(t *testing.T) {
	prod := startUpstream(t, "prod")
	allow := list(t, "20.20.20.20")
	r := Route{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: allow, Version: "1", Stopped: true}
	rec := &reasonRecorder{}
	gw := startGateway(t, Config{ClientHelloTimeout: time.Minute, Decisions: rec}, r)
	client := netip.MustParseAddr("20.20.20.20")

	c := dialAs(t, gw.addr, client, 2)
	go httpsGet(c, prodSNI)
	expectClosed(t, c)
	c.Close()
	expectOneAudit(t, gw, map[string]string{"msg": "denied", "route": "prod", "client": "20.20.20.20", "sni": prodSNI,
		"reason": ReasonClusterStopped, "version": "1"})
	if n := metricValue(t, gw.metrics.conns.WithLabelValues("prod", DecisionDenied, ReasonClusterStopped)); n != 1 {
		t.Errorf("cluster-stopped denials = %v, want 1", n)
	}
	if n := prod.ln.n.Load(); n != 0 {
		t.Errorf("upstream accepted %d connections of a stopped route", n)
	}
	if got := rec.get(); len(got) != 1 || got[0] != ReasonClusterStopped {
		t.Errorf("recorded decisions %v, want [%s]", got, ReasonClusterStopped)
	}

	r.Stopped, r.Version = false, "2"
	gw.SetRoutes([]Route{r})
	c = dialAs(t, gw.addr, client, 2)
	defer c.Close()
	got, err := httpsGet(c, prodSNI)
	if err != nil || got != "prod "+prodSNI {
		t.Fatalf("after start: body %q, err %v; want prod", got, err)
	}
}

// TestStopRevokesLive: stopping a route cuts the connections it had
// admitted (aks stop takes the control plane away).
func TestStopRevokesLive(t *testing.T) {
	gw, prod, _ := twoRoutes(t, Config{})
	s := openSession(t, gw.addr, netip.MustParseAddr("20.20.20.20"), prodSNI)
	gw.SetRoutes([]Route{{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, "20.20.20.20"), Version: "2", Stopped: true}})
	if err := readErr(s, 2*time.Second); err == nil || isTimeout(err) {
		t.Errorf("live connection after the stop: %v, want closed", err)
	}
}
