package gateway

import (
	"container/heap"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteMetricsMode selects the per-route metric series (Config.RouteMetrics).
type RouteMetricsMode int

const (
	// RouteMetricsPerRoute exports the connection, byte, revocation,
	// active, allowlist-version and prefix series per route.
	RouteMetricsPerRoute RouteMetricsMode = iota
	// RouteMetricsAggregate counts every route's connections, bytes,
	// revocations and active connections in one set of series labelled
	// route=AggregateRoute, with no per-route version or prefix series:
	// /metrics does not grow with the routes.
	RouteMetricsAggregate
)

// AggregateRoute is the route label of the series that sum every route
// under RouteMetricsAggregate.
const AggregateRoute = "*"

// entry returns a new route entry with its metric handles: its own series
// per route, or the shared aggregate ones.
func (m *metrics) entry(r Route) *routeEntry {
	if !m.perRoute {
		e := *m.agg
		e.Route, e.stats = r, &routeStats{}
		if r.Stopped {
			e.denied = m.aggStopped
		}
		return &e
	}
	return m.resolve(r)
}

// resolve looks up the series of route r.Name.
func (m *metrics) resolve(r Route) *routeEntry {
	deniedReason := ReasonNotAuthorized
	if r.Stopped {
		deniedReason = ReasonClusterStopped
	}
	return &routeEntry{
		Route:    r,
		allowed:  m.conns.WithLabelValues(r.Name, DecisionAllowed, ReasonAuthorized),
		denied:   m.conns.WithLabelValues(r.Name, DecisionDenied, deniedReason),
		dialErr:  m.conns.WithLabelValues(r.Name, DecisionError, ReasonUpstreamUnreachable),
		revoked:  m.revoked.WithLabelValues(r.Name),
		active:   m.active.WithLabelValues(r.Name),
		bytesUp:  m.bytes.WithLabelValues(r.Name, "upstream"),
		bytesDwn: m.bytes.WithLabelValues(r.Name, "downstream"),
		stats:    &routeStats{},
	}
}

// publish replaces the per-route version and prefix gauges with t's and
// removes the series of the routes of old that t no longer has (a
// connection still live on such a route counts into handles no longer
// exported).
func (m *metrics) publish(old, t *table) {
	if !m.perRoute {
		return
	}
	m.version.Reset()
	m.prefixes.Reset()
	t.byName.each(func(e *routeEntry) { m.show(e) })
	if old != nil {
		old.byName.each(func(e *routeEntry) {
			if t.byName.get(e.Name) == nil {
				m.drop(e)
			}
		})
	}
}

// update changes the per-route series for one UpdateRoutes: added routes
// (new or new versions of the replaced ones) are shown, gone ones dropped.
func (m *metrics) update(added, replaced, gone []*routeEntry) {
	if !m.perRoute {
		return
	}
	for _, e := range replaced {
		m.version.DeleteLabelValues(e.Name, e.Version)
	}
	for _, e := range added {
		m.show(e)
	}
	for _, e := range gone {
		m.drop(e)
	}
}

// show sets e's version and prefix gauges.
func (m *metrics) show(e *routeEntry) {
	m.version.WithLabelValues(e.Name, e.Version).Set(1)
	m.prefixes.WithLabelValues(e.Name).Set(float64(e.Prefixes))
}

// drop removes every series of route e, each by its exact labels.
func (m *metrics) drop(e *routeEntry) {
	n := e.Name
	m.conns.DeleteLabelValues(n, DecisionAllowed, ReasonAuthorized)
	m.conns.DeleteLabelValues(n, DecisionDenied, ReasonNotAuthorized)
	m.conns.DeleteLabelValues(n, DecisionDenied, ReasonClusterStopped)
	m.conns.DeleteLabelValues(n, DecisionError, ReasonUpstreamUnreachable)
	m.revoked.DeleteLabelValues(n)
	m.active.DeleteLabelValues(n)
	m.bytes.DeleteLabelValues(n, "upstream")
	m.bytes.DeleteLabelValues(n, "downstream")
	m.version.DeleteLabelValues(n, e.Version)
	m.shadow.DeleteLabelValues(n, ShadowWouldDeny)
	m.shadow.DeleteLabelValues(n, ShadowWouldAdmit)
	m.prefixes.DeleteLabelValues(n)
}

// routesCollector exports the number of routes in force and, when
// Config.TopRefused is positive, the refusals of the routes that refused
// the most: a bounded series set ranked at scrape time.
type routesCollector struct {
	g        *Gateway
	top      int
	routes   *prometheus.Desc
	refusals *prometheus.Desc
}

func newRoutesCollector(g *Gateway, top int) *routesCollector {
	return &routesCollector{g: g, top: top,
		routes: prometheus.NewDesc("tagwall_gateway_routes", "Routes in force.", nil, nil),
		refusals: prometheus.NewDesc("tagwall_gateway_top_refused_connections",
			"Connections the route refused (not-authorized or cluster-stopped) since the start, for the routes that refused the most "+
				"(at most --metrics-top-refused routes; the set changes with the ranking).", []string{"route"}, nil),
	}
}

func (c *routesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.routes
	if c.top > 0 {
		ch <- c.refusals
	}
}

func (c *routesCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.g.table.Load()
	ch <- prometheus.MustNewConstMetric(c.routes, prometheus.GaugeValue, float64(t.n))
	if c.top <= 0 {
		return
	}
	for _, r := range topRefused(t, c.top) {
		ch <- prometheus.MustNewConstMetric(c.refusals, prometheus.GaugeValue, float64(r.n), r.name)
	}
}

// refusedCount is one route's refusals.
type refusedCount struct {
	name string
	n    uint64
}

// refusedHeap is a min-heap of the top routes by refusals.
type refusedHeap []refusedCount

func (h refusedHeap) Len() int           { return len(h) }
func (h refusedHeap) Less(i, j int) bool { return h[i].n < h[j].n }
func (h refusedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refusedHeap) Push(x any)        { *h = append(*h, x.(refusedCount)) }
func (h *refusedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// topRefused returns at most n routes of t with refusals, the most first.
func topRefused(t *table, n int) []refusedCount {
	h := make(refusedHeap, 0, n)
	t.byName.each(func(e *routeEntry) {
		v := e.stats.refused.Load()
		switch {
		case v == 0:
		case len(h) < n:
			heap.Push(&h, refusedCount{e.Name, v})
		case v > h[0].n:
			h[0] = refusedCount{e.Name, v}
			heap.Fix(&h, 0)
		}
	})
	out := make([]refusedCount, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(refusedCount)
	}
	return out
}
