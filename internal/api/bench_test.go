package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/boltstore"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// benchPlane is a handler and a running controller; Apply signals when a
// route reaches the awaited version.
type benchPlane struct {
	h      http.Handler
	mu     sync.Mutex
	want   string // "<fqdn prefix>|g<gen>"
	signal chan struct{}
}

func newBenchPlane(b *testing.B, st store.Store) *benchPlane {
	b.Helper()
	p := &benchPlane{signal: make(chan struct{}, 1)}
	// No cluster quota: BenchmarkCreateWith1000 goes past the default.
	h, err := api.New(api.Config{Store: st, Auth: api.StaticToken{Token: testToken}, MaxClustersPerSubscription: -1})
	if err != nil {
		b.Fatal(err)
	}
	p.h = h
	ctrl, err := controller.New(controller.Config{Store: st, Apply: func(routes []controller.Route) {
		p.mu.Lock()
		want := p.want
		p.mu.Unlock()
		if want == "" {
			return
		}
		id, ver, _ := strings.Cut(want, "|")
		for _, r := range routes {
			if strings.HasSuffix(r.ClusterID, id) && r.Version == ver {
				select {
				case p.signal <- struct{}{}:
				default:
				}
				return
			}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ctrl.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	p.serve(b, http.MethodPut, groupPath+"?api-version=2021-04-01", `{"location":"eastus"}`)
	return p
}

func (p *benchPlane) serve(b *testing.B, method, path, body string) int {
	req := httptest.NewRequest(method, "https://127.0.0.1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Code
}

// putAndWait PUTs cluster name and returns the time from the PUT's
// acknowledgment to an Apply that contains generation gen of its list.
func (p *benchPlane) putAndWait(b *testing.B, name string, gen int, ranges []string) time.Duration {
	p.mu.Lock()
	p.want = "/managedClusters/" + name + fmt.Sprintf("|g%d", gen)
	p.mu.Unlock()
	select { // drop a stale signal
	case <-p.signal:
	default:
	}
	path := groupPath + "/providers/Microsoft.ContainerService/managedClusters/" + name + mcVersion
	p.serve(b, http.MethodPut, path, clusterBody(ranges, nil))
	ack := time.Now()
	select {
	case <-p.signal:
	case <-time.After(10 * time.Second):
		b.Fatalf("no Apply for %s generation %d", name, gen)
	}
	return time.Since(ack)
}

func stores(b *testing.B) map[string]func() store.Store {
	return map[string]func() store.Store{
		"mem": func() store.Store { return memstore.New() },
		"bolt": func() store.Store {
			st, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
}

func report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchmarkPutToApply measures the time from a PUT's acknowledgment to the
// controller's Apply containing the new list (one cluster, updated b.N times).
func BenchmarkPutToApply(b *testing.B) {
	for _, name := range []string{"mem", "bolt"} {
		b.Run(name, func(b *testing.B) {
			p := newBenchPlane(b, stores(b)[name]())
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				lat = append(lat, p.putAndWait(b, "c1", i+1, []string{fmt.Sprintf("20.%d.%d.0/24", i/256%256, i%256)}))
			}
			report(b, lat)
		})
	}
}

// BenchmarkCreateWith1000 creates clusters with 1,000 already in the store
// and waits for each one's route: creations per second.
func BenchmarkCreateWith1000(b *testing.B) {
	for _, name := range []string{"mem", "bolt"} {
		b.Run(name, func(b *testing.B) {
			p := newBenchPlane(b, stores(b)[name]())
			for i := range 1000 {
				p.putAndWait(b, fmt.Sprintf("base%d", i), 1, []string{"20.20.20.20"})
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				lat = append(lat, p.putAndWait(b, fmt.Sprintf("new%d", i), 1, []string{"20.20.20.20"}))
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
			report(b, lat)
		})
	}
}
