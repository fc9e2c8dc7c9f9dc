package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/tagmetrics"
)

// check is one line of the /readyz detail.
type check struct {
	name string
	ok   bool
	msg  string
}

// checks returns the readiness detail. The store is essential; the
// service-tag catalog is not (without it the server runs, refusing tag
// entries and failing closed), so a missing catalog is reported but does
// not make the server unready.
func (m *Main) checks(ctx context.Context) (lines []check, ready bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ready = true
	if pc := m.parts.check(); !pc.ok {
		lines, ready = append(lines, pc), false
	} else {
		lines = append(lines, pc)
	}
	switch {
	case m.ctrl == nil:
	case !m.ctrl.Synced():
		lines, ready = append(lines, check{"routes", false, "not restored from the store yet (the front door refuses the clusters it has no route for)"}), false
	default:
		lines = append(lines, check{"routes", true, fmt.Sprintf("%d in force", m.routeCount.Load())})
	}
	if rev, err := m.store.Revision(ctx); err != nil {
		lines, ready = append(lines, check{"store", false, err.Error()}), false
		// Fail static: the front door keeps what it had (see storeDown).
		lines = append(lines, check{"frontdoor", true, m.storeDownDetail()})
	} else {
		lines = append(lines, check{"store", true, fmt.Sprintf("ok (revision %d)", rev)})
	}
	lines = append(lines, m.tagChecks()...)
	return lines, ready
}

func (m *Main) healthHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Path == "/healthz" || r.URL.Path == "/livez" {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	lines, ready := m.checks(r.Context())
	var b strings.Builder
	for _, c := range lines {
		mark := "+"
		if !c.ok {
			mark = "-"
		}
		fmt.Fprintf(&b, "[%s]%s %s\n", mark, c.name, c.msg)
	}
	if ready {
		b.WriteString("readyz check passed\n")
	} else {
		b.WriteString("readyz check failed\n")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}

// newRegistry returns the registry /metrics serves: process and Go
// collectors plus tagwall's own gauges (the gateway registers its metrics
// on it too).
func (m *Main) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&serveCollector{m: m})
	reg.MustRegister(&tagmetrics.Collector{
		Status: func() servicetag.SetStatus {
			if m.tags == nil {
				return servicetag.SetStatus{}
			}
			return m.tags.Status()
		},
		Stats: func() routecompile.Stats {
			if m.ctrl == nil {
				return routecompile.Stats{}
			}
			return m.ctrl.CompileStats()
		},
		Now: m.cfg.Now,
	})
	return reg
}

// serveCollector reports the controller's, the stand-ins' and the store's
// state at scrape time (the service tags' is tagmetrics').
type serveCollector struct{ m *Main }

var (
	descClusters = prometheus.NewDesc("tagwall_controller_routes",
		"Number of cluster routes the controller last applied to the front door.", nil, nil)
	descStandins = prometheus.NewDesc("tagwall_standin_servers",
		"Number of clusters served by an in-process stand-in API server (one per cluster not served by an --upstream; each is made at its cluster's first connection).", nil, nil)
	descStoreUp = prometheus.NewDesc("tagwall_store_up",
		"1 when the last store probe (every second) succeeded, else 0; while 0 the front door keeps enforcing the last state it applied.",
		[]string{"backend"}, nil)
	descThrottled = prometheus.NewDesc("tagwall_arm_throttled_requests_total",
		"API requests refused with 429 by ARM's token buckets (--arm-throttle), by operation kind.", []string{"kind"}, nil)
	descThrottleBuckets = prometheus.NewDesc("tagwall_arm_throttle_buckets",
		"Token buckets the API throttle keeps (per principal, subscription and kind, plus each subscription's global ones).", nil, nil)
	descThrottleDropped = prometheus.NewDesc("tagwall_arm_throttle_buckets_dropped_total",
		"Buckets in use dropped because the throttle's bound was reached (their owners got tokens back early).", nil, nil)
)

func (c *serveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descClusters, descStandins, descStoreUp, descThrottled, descThrottleBuckets, descThrottleDropped} {
		ch <- d
	}
}

func (c *serveCollector) Collect(ch chan<- prometheus.Metric) {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(descClusters, prometheus.GaugeValue, float64(c.m.routeCount.Load()))
	ch <- prometheus.MustNewConstMetric(descStandins, prometheus.GaugeValue, float64(c.m.fleet.Len()))
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, b2f(c.m.dist.storeUp.Load()), c.m.cfg.Store)
	if th := c.m.throttle; th != nil {
		st := th.Stats()
		for k, n := range st.Throttled {
			ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.CounterValue, float64(n), armthrottle.Kind(k).String())
		}
		ch <- prometheus.MustNewConstMetric(descThrottleBuckets, prometheus.GaugeValue, float64(st.Buckets))
		ch <- prometheus.MustNewConstMetric(descThrottleDropped, prometheus.CounterValue, float64(st.Dropped))
	}
}

func (m *Main) metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", m.healthHandler)
	mux.HandleFunc("GET /livez", m.healthHandler)
	mux.HandleFunc("GET /readyz", m.healthHandler)
	return mux
}
