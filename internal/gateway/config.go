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
	// connections that the new routes no longer admit.
	RevokeExisting *bool
	// AuditAllowed writes an audit line for admitted connections too.
	AuditAllowed bool
	// Logger receives the audit lines (use a slog.JSONHandler) unless
	// Audit is set, and operational messages. nil discards them.
	Logger *slog.Logger
	// Audit, when set, receives the audit lines instead of Logger: the same
	// JSON line slog.NewJSONHandler would write at level INFO (time, level,
	// msg, route, client, peer, sni, reason, version), encoded without
	// reflection into a bounded buffer that is written at most
	// AuditFlushInterval after a line enters it, when it fills (the
	// connection that fills it blocks: no line is dropped), and by
	// FlushAudit and Shutdown. Writes never split a line. Audit must not be
	// written concurrently by others unless it is safe for that (os.File is).
	Audit io.Writer
	// AuditFlushInterval bounds how long an audit line waits in the buffer.
	// Zero means DefaultAuditFlushInterval; at most MaxAuditFlushInterval.
	AuditFlushInterval time.Duration
	// Registerer receives the gateway's metrics. nil means no metrics.
	Registerer prometheus.Registerer
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

// revoke reports whether SetRoutes revokes live connections.
func (c Config) revoke() bool { return c.RevokeExisting == nil || *c.RevokeExisting }

// trusts reports whether peer may send a PROXY header.
func (c Config) trusts(peer netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}
