package gateway

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// decisionLog is a Config.Decisions that keeps every call.
type decisionLog struct {
	mu  sync.Mutex
	got []string
}

func (d *decisionLog) Record(route string, client netip.Addr, allowed bool, reason string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at.IsZero() {
		reason += " (no time)"
	}
	d.got = append(d.got, route+" "+client.String()+" "+map[bool]string{true: "allowed", false: "denied"}[allowed]+" "+reason)
}

func (d *decisionLog) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.got) == 0 {
		return ""
	}
	return d.got[len(d.got)-1]
}

// TestDecisionsHook checks what Config.Decisions is told: admissions and
// refusals by a route's list with the route's name, refusals before a
// route is known with route "".
func TestDecisionsHook(t *testing.T) {
	log := &decisionLog{}
	gw, _, _ := twoRoutes(t, Config{Decisions: log})
	tests := []struct {
		name, client, sni string
		want              string
	}{
		{name: "admitted", client: "20.20.20.20", sni: prodSNI, want: "prod 20.20.20.20 allowed " + ReasonAuthorized},
		{name: "refused by the route's list", client: "10.1.2.3", sni: prodSNI, want: "prod 10.1.2.3 denied " + ReasonNotAuthorized},
		{name: "refused before routing", client: "8.8.8.8", sni: prodSNI, want: " 8.8.8.8 denied " + ReasonNotAuthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialAs(t, gw.addr, netip.MustParseAddr(tt.client), 2)
			defer c.Close()
			_, _ = httpsGet(c, tt.sni)
			if _, ok := waitFor(3*time.Second, func() bool { return log.last() == tt.want }); !ok {
				t.Fatalf("last decision %q, want %q", log.last(), tt.want)
			}
		})
	}
}
