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
	now := m.cfg.Now()
	for _, k := range m.cats.keepers {
		st := k.Status()
		name := "servicetags " + st.Source
		switch {
		case k.Current() == nil && st.LastError != nil:
			lines = append(lines, check{name, false, "not loaded: " + st.LastError.Error() + " (tag entries are refused; retrying)"})
		case k.Current() == nil:
			lines = append(lines, check{name, false, "not loaded yet (tag entries are refused)"})
		default:
			msg := fmt.Sprintf("loaded: cloud %s, changeNumber %d, %d tags", st.Cloud, st.ChangeNumber, st.Tags)
			if !st.LastSuccess.IsZero() {
				msg += ", refreshed " + now.Sub(st.LastSuccess).Round(time.Second).String() + " ago"
			} else {
				msg += " (from the cache; not refreshed yet)"
			}
			if st.LastError != nil {
				msg += "; last refresh failed, keeping the last good document: " + st.LastError.Error()
			}
			lines = append(lines, check{name, true, msg})
		}
	}
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
	return reg
}

// serveCollector reports catalog and controller state at scrape time.
type serveCollector struct{ m *Main }

var (
	descLoaded = prometheus.NewDesc("tagwall_servicetag_loaded",
		"1 when a service-tag document from the source is in force, else 0 (tag entries are refused).", []string{"source"}, nil)
	descRefreshOK = prometheus.NewDesc("tagwall_servicetag_last_refresh_ok",
		"1 when the last refresh attempt of the source succeeded, else 0.", []string{"source"}, nil)
	descCatalogTags = prometheus.NewDesc("tagwall_servicetag_catalog_tags",
		"Number of tags in the catalog in force (0 when none).", nil, nil)
	descClusters = prometheus.NewDesc("tagwall_controller_routes",
		"Number of cluster routes the controller last applied to the front door.", nil, nil)
	descStandins = prometheus.NewDesc("tagwall_standin_servers",
		"Number of clusters served by an in-process stand-in API server (one per cluster not served by an --upstream; each is made at its cluster's first connection).", nil, nil)
	descStoreUp = prometheus.NewDesc("tagwall_store_up",
		"1 when the last store probe (every second) succeeded, else 0; while 0 the front door keeps enforcing the last state it applied.",
		[]string{"backend"}, nil)
)

func (c *serveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLoaded, descRefreshOK, descCatalogTags, descClusters, descStandins, descStoreUp} {
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
	for _, k := range c.m.cats.keepers {
		st := k.Status()
		ch <- prometheus.MustNewConstMetric(descLoaded, prometheus.GaugeValue, b2f(k.Current() != nil), st.Source)
		ch <- prometheus.MustNewConstMetric(descRefreshOK, prometheus.GaugeValue, b2f(st.LastError == nil && !st.LastAttempt.IsZero()), st.Source)
	}
	tags := 0
	if cat := c.m.cats.Current(); cat != nil {
		tags = len(cat.Document().Tags)
	}
	ch <- prometheus.MustNewConstMetric(descCatalogTags, prometheus.GaugeValue, float64(tags))
	ch <- prometheus.MustNewConstMetric(descClusters, prometheus.GaugeValue, float64(c.m.routeCount.Load()))
	ch <- prometheus.MustNewConstMetric(descStandins, prometheus.GaugeValue, float64(c.m.fleet.Len()))
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, b2f(c.m.dist.storeUp.Load()), c.m.cfg.Store)
}

func (m *Main) metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", m.healthHandler)
	mux.HandleFunc("GET /livez", m.healthHandler)
	mux.HandleFunc("GET /readyz", m.healthHandler)
	return mux
}
