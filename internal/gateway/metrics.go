package gateway

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Decisions and reasons, as they appear in metrics and audit lines.
const (
	DecisionAllowed = "allowed"
	DecisionDenied  = "denied"
	DecisionError   = "error" // admitted, but the upstream could not be reached

	ReasonAuthorized          = "authorized"
	ReasonNotAuthorized       = "not-authorized"
	ReasonNoRoute             = "no-route"
	ReasonUntrustedProxy      = "untrusted-proxy-header"
	ReasonHelloTimeout        = "clienthello-timeout"
	ReasonBadClientHello      = "bad-clienthello"
	ReasonProxyHeaderRequired = "proxy-header-required"
	ReasonBadProxyHeader      = "bad-proxy-header"
	ReasonUpstreamUnreachable = "upstream-unreachable"
	ReasonRevoked             = "revoked"
	ReasonClusterStopped      = "cluster-stopped" // the route is Stopped
	// Limits (Config.MaxConns, MaxUndecided, MaxUndecidedPerSource).
	ReasonConnLimit   = "conn-limit"
	ReasonEvicted     = "undecided-evicted"
	ReasonSourceLimit = "source-limit"
)

// metrics holds the gateway's collectors. They exist even when no
// Registerer is configured, so the connection path never checks for nil.
type metrics struct {
	conns                                                                                  *prometheus.CounterVec // route, decision, reason
	active                                                                                 *prometheus.GaugeVec   // route
	bytes                                                                                  *prometheus.CounterVec // route, direction
	decision                                                                               prometheus.Histogram   // seconds from accept to decision
	version                                                                                *prometheus.GaugeVec   // route, version
	prefixes                                                                               *prometheus.GaugeVec   // route
	revoked                                                                                *prometheus.CounterVec // route
	tags                                                                                   *serviceTagCollector   // source
	denyNoRoute, denyUntrusted, denyTimeout, denyBadHello, denyProxyRequired, denyBadProxy prometheus.Counter
	denyEarly                                                                              prometheus.Counter // not-authorized before the ClientHello (route "")
	denyConnLimit, denyEvicted, denySourceLimit                                            prometheus.Counter
	auditDropped, auditCollapsed                                                           prometheus.Counter
	limits                                                                                 *prometheus.GaugeVec // limit

	perRoute bool        // Config.RouteMetrics is RouteMetricsPerRoute
	agg      *routeEntry // the shared handles of every route when !perRoute
	// aggStopped counts the refusals of stopped routes when !perRoute.
	aggStopped prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, mode RouteMetricsMode) (*metrics, error) {
	m := &metrics{
		perRoute: mode == RouteMetricsPerRoute,
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagwall_gateway_connections_total",
			Help: "Connections decided, by route, decision and reason.",
		}, []string{"route", "decision", "reason"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tagwall_gateway_active_connections",
			Help: "Connections being proxied, by route.",
		}, []string{"route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagwall_gateway_bytes_total",
			Help: "Bytes proxied, by route and direction (upstream: client to upstream; downstream: upstream to client).",
		}, []string{"route", "direction"}),
		decision: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tagwall_gateway_decision_seconds",
			Help:    "Time from accept to the allow or deny decision (PROXY header and ClientHello included).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1, 5, 10},
		}),
		version: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tagwall_gateway_route_allowlist_info",
			Help: "The allowlist version in force per route (value 1).",
		}, []string{"route", "version"}),
		prefixes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tagwall_gateway_route_prefixes",
			Help: "Prefixes in the allowlist in force per route.",
		}, []string{"route"}),
		revoked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagwall_gateway_revoked_total",
			Help: "Live connections closed because new routes no longer admit them.",
		}, []string{"route"}),
		tags: newServiceTagCollector(),
		auditDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tagwall_audit_dropped_total",
			Help: "Audit lines dropped because the audit queue was full (the sink is slower than the denials).",
		}),
		auditCollapsed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tagwall_audit_collapsed_total",
			Help: "Denials folded into the count of an earlier audit line (same client, route and reason within a second).",
		}),
		limits: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tagwall_gateway_limit",
			Help: "Connection caps in force: max_conns, max_undecided, max_undecided_per_source.",
		}, []string{"limit"}),
	}
	m.denyNoRoute = m.conns.WithLabelValues("", DecisionDenied, ReasonNoRoute)
	m.denyUntrusted = m.conns.WithLabelValues("", DecisionDenied, ReasonUntrustedProxy)
	m.denyTimeout = m.conns.WithLabelValues("", DecisionDenied, ReasonHelloTimeout)
	m.denyBadHello = m.conns.WithLabelValues("", DecisionDenied, ReasonBadClientHello)
	m.denyProxyRequired = m.conns.WithLabelValues("", DecisionDenied, ReasonProxyHeaderRequired)
	m.denyBadProxy = m.conns.WithLabelValues("", DecisionDenied, ReasonBadProxyHeader)
	m.denyEarly = m.conns.WithLabelValues("", DecisionDenied, ReasonNotAuthorized)
	m.denyConnLimit = m.conns.WithLabelValues("", DecisionDenied, ReasonConnLimit)
	m.denyEvicted = m.conns.WithLabelValues("", DecisionDenied, ReasonEvicted)
	m.denySourceLimit = m.conns.WithLabelValues("", DecisionDenied, ReasonSourceLimit)
	if !m.perRoute {
		m.agg = m.resolve(Route{Name: AggregateRoute})
		m.aggStopped = m.conns.WithLabelValues(AggregateRoute, DecisionDenied, ReasonClusterStopped)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.conns, m.active, m.bytes, m.decision, m.version, m.prefixes, m.revoked, m.tags,
			m.auditDropped, m.auditCollapsed, m.limits} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// preRouteCounter returns the denial counter for a reason decided before
// any route was chosen.
func (m *metrics) preRouteCounter(reason string) prometheus.Counter {
	switch reason {
	case ReasonNoRoute:
		return m.denyNoRoute
	case ReasonUntrustedProxy:
		return m.denyUntrusted
	case ReasonHelloTimeout:
		return m.denyTimeout
	case ReasonProxyHeaderRequired:
		return m.denyProxyRequired
	case ReasonBadProxyHeader:
		return m.denyBadProxy
	case ReasonNotAuthorized:
		return m.denyEarly
	case ReasonConnLimit:
		return m.denyConnLimit
	case ReasonEvicted:
		return m.denyEvicted
	case ReasonSourceLimit:
		return m.denySourceLimit
	default:
		return m.denyBadHello
	}
}

// serviceTagCollector exports each source's changeNumber and the age of its
// last successful refresh, computed at scrape time.
type serviceTagCollector struct {
	mu      sync.Mutex
	sources map[string]tagStatus
	now     func() time.Time
	change  *prometheus.Desc
	age     *prometheus.Desc
}

type tagStatus struct {
	changeNumber int64
	lastSuccess  time.Time
}

func newServiceTagCollector() *serviceTagCollector {
	return &serviceTagCollector{
		sources: make(map[string]tagStatus),
		now:     time.Now,
		change: prometheus.NewDesc("tagwall_servicetag_change_number",
			"changeNumber of the service-tag document in force, by source.", []string{"source"}, nil),
		age: prometheus.NewDesc("tagwall_servicetag_last_success_age_seconds",
			"Seconds since the last successful refresh of a service-tag source.", []string{"source"}, nil),
	}
}

func (c *serviceTagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.change
	ch <- c.age
}

func (c *serviceTagCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for src, s := range c.sources {
		ch <- prometheus.MustNewConstMetric(c.change, prometheus.GaugeValue, float64(s.changeNumber), src)
		if !s.lastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(s.lastSuccess).Seconds(), src)
		}
	}
}

// SetServiceTagStatus records the state of one service-tag source for the
// tagwall_servicetag_* metrics. A zero lastSuccess means the source never
// loaded; its age is then not exported.
func (g *Gateway) SetServiceTagStatus(source string, changeNumber int64, lastSuccess time.Time) {
	c := g.metrics.tags
	c.mu.Lock()
	c.sources[source] = tagStatus{changeNumber: changeNumber, lastSuccess: lastSuccess}
	c.mu.Unlock()
}

// ForgetServiceTagSource drops a source that is no longer configured.
func (g *Gateway) ForgetServiceTagSource(source string) {
	c := g.metrics.tags
	c.mu.Lock()
	delete(c.sources, source)
	c.mu.Unlock()
}

// registerLimitMetrics publishes the caps and the live and undecided
// connection gauges.
func (g *Gateway) registerLimitMetrics(reg prometheus.Registerer) error {
	g.metrics.limits.WithLabelValues("max_conns").Set(float64(g.cfg.MaxConns))
	g.metrics.limits.WithLabelValues("max_undecided").Set(float64(g.cfg.MaxUndecided))
	g.metrics.limits.WithLabelValues("max_undecided_per_source").Set(float64(g.cfg.MaxUndecidedPerSource))
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tagwall_gateway_open_connections",
			Help: "Connections accepted and not yet ended (undecided and proxied), capped by max_conns.",
		}, func() float64 { return float64(g.front.live.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tagwall_gateway_undecided_connections",
			Help: "Connections whose PROXY header and ClientHello are not decided yet, capped by max_undecided.",
		}, func() float64 { return float64(g.front.undecidedCount()) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
