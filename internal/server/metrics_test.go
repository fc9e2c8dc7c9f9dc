package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/armthrottle"
)

// TestDeletedClusterSeriesRemoved: once a cluster is deleted, /metrics has
// no series labelled with its route.
func TestDeletedClusterSeriesRemoved(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MetricsPerCluster = true
	m := start(t, cfg)
	s := newSeed(t, m)
	s.createGroup(t)
	putClusters(t, s, 0, 2)
	id := arm.ManagedClusterID(m.Subscription(), rg, "c000")
	cred, err := m.creds.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	fqdn := ""
	for _, r := range m.gw.Routes() {
		if strings.EqualFold(r.Name, id) {
			fqdn = r.SNI
		}
	}
	if _, err := frontDoorGet(m.GatewayAddr(), "20.20.20.20", fqdn, cred.CA.CertPEM, "/version"); err != nil {
		t.Fatal(err)
	}
	_, _ = frontDoorGet(m.GatewayAddr(), "8.8.8.8", fqdn, cred.CA.CertPEM, "/version")
	label := fmt.Sprintf("route=%q", id)
	series := func() []string {
		_, body := scrape(t, m, "/metrics")
		var out []string
		for l := range strings.SplitSeq(body, "\n") {
			if strings.Contains(l, label) {
				out = append(out, l)
			}
		}
		return out
	}
	if n := len(series()); n < 5 {
		t.Fatalf("%d series for the cluster before delete, want its counters and gauges:\n%s", n, strings.Join(series(), "\n"))
	}
	u := s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/c000", "2025-05-01")
	if code, body := call(t, s.http, http.MethodDelete, u, m.Token(), nil); code/100 != 2 {
		t.Fatalf("delete: %d %v", code, body)
	}
	eventually(t, 30*time.Second, "route removed", func() error {
		if n := m.routeCount.Load(); n != 1 {
			return fmt.Errorf("%d routes", n)
		}
		return nil
	})
	if left := series(); len(left) > 0 {
		t.Fatalf("series of the deleted cluster remain:\n%s", strings.Join(left, "\n"))
	}
	if other := fmt.Sprintf("route=%q", arm.ManagedClusterID(m.Subscription(), rg, "c001")); !strings.Contains(func() string { _, b := scrape(t, m, "/metrics"); return b }(), other) {
		t.Fatal("the other cluster's series went too")
	}
}

// TestMetricsAggregatedByDefault: without MetricsPerCluster no front-door
// series names a cluster except the bounded top-refused set, and the
// route count is exported.
func TestMetricsAggregatedByDefault(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	s := newSeed(t, m)
	s.createGroup(t)
	putClusters(t, s, 0, 3)
	// 8.8.8.8 is some cluster's client, so c000's route (not the early
	// check) refuses it.
	if err := putCluster(t, s, "other", "8.8.8.8"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "4 routes", func() error {
		if n := m.routeCount.Load(); n != 4 {
			return fmt.Errorf("%d routes", n)
		}
		return nil
	})
	id := arm.ManagedClusterID(m.Subscription(), rg, "c000")
	fqdn := ""
	for _, r := range m.gw.Routes() {
		if strings.EqualFold(r.Name, id) {
			fqdn = r.SNI
		}
	}
	cred, err := m.creds.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = frontDoorGet(m.GatewayAddr(), "8.8.8.8", fqdn, cred.CA.CertPEM, "/version")
	_, body := scrape(t, m, "/metrics")
	for l := range strings.SplitSeq(body, "\n") {
		if strings.Contains(l, "/subscriptions/") && !strings.HasPrefix(l, "tagwall_gateway_top_refused_connections{") {
			t.Errorf("per-cluster series by default: %s", l)
		}
	}
	for _, want := range []string{"tagwall_gateway_routes 4", `tagwall_gateway_connections_total{decision="denied",reason="not-authorized",route="*"} 1`,
		fmt.Sprintf("tagwall_gateway_top_refused_connections{route=%q} 1", id)} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestARMThrottleWired: with Config.ARMThrottle the API charges ARM's
// buckets (the admin's writes run out at the configured size and get 429
// with Retry-After) and /metrics counts the refusals and the buckets.
func TestARMThrottleWired(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.ARMThrottle = &armthrottle.Config{Writes: armthrottle.Bucket{Size: 2, Refill: 0.001}}
	m := start(t, cfg)
	s := newSeed(t, m)
	codes := []int{}
	for i := range 3 {
		code, _ := call(t, s.http, http.MethodPut, s.url(fmt.Sprint("resourcegroups/rg", i), "2022-09-01"), m.Token(), map[string]any{"location": "eastus"})
		codes = append(codes, code)
	}
	if codes[0] != http.StatusCreated || codes[1] != http.StatusCreated || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("three writes with a bucket of 2: %v", codes)
	}
	_, body := scrape(t, m, "/metrics")
	for _, want := range []string{`tagwall_arm_throttled_requests_total{kind="write"} 1`, `tagwall_arm_throttled_requests_total{kind="read"} 0`, "tagwall_arm_throttle_buckets 2"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
