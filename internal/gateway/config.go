package gateway

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultClientHelloTimeout = 10 * time.Second
	DefaultDialTimeout        = 5 * time.Second
)

// Config is the gateway's static configuration. Routes are not part of it:
// they change at run time through SetRoutes.
type Config struct {
	// TrustedProxies lists the peers whose PROXY protocol header (v1 or v2)
	// is read and believed. A header from any other peer closes the
	// connection (reason untrusted-proxy-header).
	TrustedProxies []netip.Prefix
	// RequireProxyHeader makes a trusted peer's missing header a denial
	// (reason proxy-header-required).
	RequireProxyHeader bool
	// ClientHelloTimeout bounds the time from accept to a complete PROXY
	// header and ClientHello. Zero means DefaultClientHelloTimeout.
	ClientHelloTimeout time.Duration
	// DialTimeout bounds the upstream dial. Zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// RevokeExisting, when nil or true, makes SetRoutes close live
	// connections that the new routes no longer admit. SetLiveOptions
	// changes it at run time.
	RevokeExisting *bool
	// AuditAllowed writes an audit line for admitted connections too.
	// SetLiveOptions changes it at run time.
	AuditAllowed bool
	// Logger receives the audit lines (use a slog.JSONHandler) unless
	// Audit is set, and operational messages. nil discards them.
	// Operational messages are logged synchronously: give a Logger whose
	// handler does not block (cmd/tagwall queues and drops).
	Logger *slog.Logger
	// Audit, when set, receives the audit lines instead of Logger: the same
	// JSON line slog.NewJSONHandler would write at level INFO (time, level,
	// msg, route, client, peer, sni, reason, version, count), encoded
	// without reflection into a queue of at most MaxAuditPending bytes that
	// one goroutine writes at most AuditFlushInterval after a line enters
	// it, and at FlushAudit and Shutdown. A connection never waits for
	// Audit: when the queue is full the line is dropped and counted
	// (tagwall_audit_dropped_total). Denials of one client, route and
	// reason within AuditCollapseWindow collapse: the first is written at
	// once, the repeats as one line with their count when the window ends.
	// The SNI is cut to MaxAuditSNI bytes. A Write that never returns holds
	// only the writer goroutine and the queue. Writes never split a line.
	// Audit must not be written concurrently by others unless it is safe
	// for that (os.File is). Without Audit, the same queue hands its lines
	// to Logger's handler (as INFO records with the line's time), from the
	// queue's goroutine: a Logger that stalls never holds a connection.
	Audit io.Writer
	// AuditFlushInterval bounds how long an audit line waits in the buffer.
	// Zero means DefaultAuditFlushInterval; at most MaxAuditFlushInterval.
	AuditFlushInterval time.Duration
	// Decisions, when set, is told every decision taken for a route: the
	// client admitted, or refused because the route's list does not hold
	// it (ReasonNotAuthorized). It runs on the connection's goroutine, so
	// it must neither block nor allocate (console.Recorder qualifies).
	// A refusal before a route is known (the early check: no route admits
	// the client; a bad PROXY header or ClientHello, a cap) has route "".
	// Refusals at accept (conn-limit, untrusted peers closed at accept)
	// and revocations are not reported.
	Decisions DecisionRecorder
	// Registerer receives the gateway's metrics. nil means no metrics.
	Registerer prometheus.Registerer

	// MaxConns caps the live connections (accepted, not yet ended,
	// undecided or proxied). A connection accepted beyond it is closed at
	// once with a reset, before any read (reason conn-limit). Zero means a
	// default derived from the fd limit (see defaultLimits: (fds -
	// max(64, fds/8)) / 2, at most 65536).
	MaxConns int
	// MaxUndecided caps the connections accepted whose PROXY header and
	// ClientHello have not been decided yet. When it is full, the oldest
	// undecided connection is closed to make room for the new one (reason
	// undecided-evicted), so idle sockets cannot starve real clients. Zero
	// means max(8, MaxConns/2), at most 16384.
	MaxUndecided int
	// MaxUndecidedPerSource caps the undecided connections of one source:
	// the TCP peer for peers not trusted for PROXY headers (checked at
	// accept), the client its header claims for trusted peers (checked
	// after the header); an IPv4 address, or an IPv6 /64. A connection beyond it is closed (reason
	// source-limit); it evicts no one. Zero means max(4, MaxUndecided/16).
	MaxUndecidedPerSource int

	// RouteMetrics selects per-route series (the zero value,
	// RouteMetricsPerRoute) or one aggregate set (RouteMetricsAggregate),
	// for tables of many routes.
	RouteMetrics RouteMetricsMode
	// TopRefused, when positive, exports
	// tagwall_gateway_top_refused_connections{route} for at most that many
	// routes: those with the most refusals by the route (not-authorized and
	// cluster-stopped), ranked at scrape time (a bounded series set
	// whatever RouteMetrics is).
	TopRefused int
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("trusted proxy %q: invalid prefix", p))
		}
	}
	if c.ClientHelloTimeout < 0 {
		errs = append(errs, fmt.Errorf("client hello timeout %q: must not be negative", c.ClientHelloTimeout))
	}
	if c.DialTimeout < 0 {
		errs = append(errs, fmt.Errorf("dial timeout %q: must not be negative", c.DialTimeout))
	}
	if c.MaxConns < 0 || c.MaxUndecided < 0 || c.MaxUndecidedPerSource < 0 {
		errs = append(errs, fmt.Errorf("connection caps %d, %d, %d (max conns, undecided, per source): must not be negative",
			c.MaxConns, c.MaxUndecided, c.MaxUndecidedPerSource))
	}
	if c.AuditFlushInterval < 0 || c.AuditFlushInterval > MaxAuditFlushInterval {
		errs = append(errs, fmt.Errorf("audit flush interval %q: must be between 0 and %s", c.AuditFlushInterval, MaxAuditFlushInterval))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.ClientHelloTimeout == 0 {
		c.ClientHelloTimeout = DefaultClientHelloTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.AuditFlushInterval == 0 {
		c.AuditFlushInterval = DefaultAuditFlushInterval
	}
	if c.MaxConns == 0 {
		c.MaxConns = defaultConns(fdLimit())
	}
	if c.MaxUndecided == 0 {
		c.MaxUndecided = defaultUndecided(c.MaxConns)
	}
	if c.MaxUndecidedPerSource == 0 {
		c.MaxUndecidedPerSource = defaultPerSource(c.MaxUndecided)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	trusted := make([]netip.Prefix, len(c.TrustedProxies))
	for i, p := range c.TrustedProxies {
		trusted[i] = p.Masked()
	}
	c.TrustedProxies = trusted
	return c, nil
}

// trusts reports whether peer may send a PROXY header.
func (c Config) trusts(peer netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// DecisionRecorder receives the front door's per-route decisions (see
// Config.Decisions); at is when the connection was accepted.
type DecisionRecorder interface {
	Record(route string, client netip.Addr, allowed bool, reason string, at time.Time)
}
