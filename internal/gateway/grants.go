package gateway

import (
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// MaxGrantsPerRoute bounds Route.Grants: a route that carries more keeps
// the MaxGrantsPerRoute that expire last and the rest are ignored and
// logged (the control plane refuses the 51st grant before it gets here).
const MaxGrantsPerRoute = 50

// ReasonGrantExpired is the reason of the audit lines written when a grant
// expires ("grant-expired", one per grant) and when a live connection that
// only the grant admitted is closed for it ("revoked").
const ReasonGrantExpired = "grant-expired"

// Grant is a time-bound entry of a route: its prefix is admitted until
// Expires (exclusive), then refused, with no further call. When a grant
// expires the gateway closes the live connections of its route whose client
// nothing else admits (audited as "revoked", reason grant-expired), and
// writes one "grant-expired" audit line (client = the prefix's address,
// version = the grant's name).
type Grant struct {
	Name    string       // the grant's id, for audit and Explain
	Prefix  netip.Prefix // masked; IPv4 or IPv6
	Expires time.Time    // the first instant the grant no longer admits
	Reason  string       // free text, for Explain
}

// grantKey is a Grant as the connection path checks it: no strings, the
// expiry as Unix nanoseconds.
type grantKey struct {
	prefix  netip.Prefix
	expires int64
}

// prepareGrants masks, sorts (by expiry) and bounds a route's grants. It
// returns the grants kept, their keys and how many were dropped.
func prepareGrants(in []Grant) ([]Grant, []grantKey, int) {
	if len(in) == 0 {
		return nil, nil, 0
	}
	gs := make([]Grant, 0, len(in))
	for _, g := range in {
		if !g.Prefix.IsValid() {
			continue
		}
		g.Prefix = allowlist.UnmapPrefix(g.Prefix).Masked()
		gs = append(gs, g)
	}
	slices.SortStableFunc(gs, func(a, b Grant) int { return a.Expires.Compare(b.Expires) })
	dropped := len(in) - len(gs)
	if len(gs) > MaxGrantsPerRoute {
		dropped += len(gs) - MaxGrantsPerRoute
		gs = gs[len(gs)-MaxGrantsPerRoute:]
	}
	keys := make([]grantKey, len(gs))
	for i, g := range gs {
		keys[i] = grantKey{prefix: g.Prefix, expires: g.Expires.UnixNano()}
	}
	return gs, keys, dropped
}

// grantAt returns the index of the unexpired grant of keys that admits
// client at now (Unix nanoseconds) and expires last, or -1. keys are
// sorted by expiry (prepareGrants), so it scans from the end, where the
// unexpired ones are. client must be unmapped. It does not allocate: the
// connection path asks only whether some grant admits (>= 0), Explain
// which one.
func grantAt(keys []grantKey, client netip.Addr, now int64) int {
	for i := len(keys) - 1; i >= 0; i-- {
		if now < keys[i].expires && keys[i].prefix.Contains(client) {
			return i
		}
	}
	return -1
}

// nextExpiry returns the earliest grant expiry after now among the routes
// of t that have grants (g.grantNames), or 0. g.routesMu is held.
func (g *Gateway) nextExpiry(t *table, now int64) int64 {
	var next int64
	for name := range g.grantNames {
		e := t.byName.get(name)
		if e == nil {
			continue
		}
		for _, k := range e.grants {
			if k.expires > now && (next == 0 || k.expires < next) {
				next = k.expires
			}
		}
	}
	return next
}

// armGrantTimer schedules the next grant expiry of t (one timer for the
// whole gateway, replaced at every route change and after each expiry).
// g.routesMu is held.
func (g *Gateway) armGrantTimer(t *table) {
	g.timerMu.Lock()
	defer g.timerMu.Unlock()
	if g.grantTimer != nil {
		g.grantTimer.Stop()
		g.grantTimer = nil
	}
	if g.timerStopped {
		return
	}
	now := time.Now().UnixNano()
	if g.swept == 0 {
		g.swept = now
	}
	next := g.nextExpiry(t, now)
	if next == 0 {
		return
	}
	g.grantTimer = time.AfterFunc(time.Duration(next-now), g.grantsExpired)
}

// grantsExpired runs when a grant expires: it audits the grants that
// expired since the last run, closes the live connections of the routes
// with grants that the table no longer admits, and arms the timer for the
// next expiry.
func (g *Gateway) grantsExpired() {
	g.routesMu.Lock()
	defer g.routesMu.Unlock()
	t := g.table.Load()
	now := time.Now().UnixNano()
	g.timerMu.Lock()
	from := g.swept
	g.swept = now
	g.timerMu.Unlock()
	names := make(map[string]struct{}, len(g.grantNames))
	for name := range g.grantNames {
		names[name] = struct{}{}
		e := t.byName.get(name)
		if e == nil {
			continue
		}
		for _, gr := range e.Grants {
			if x := gr.Expires.UnixNano(); x > from && x <= now {
				g.audit("grant-expired", e, ReasonGrantExpired, gr.Prefix.Addr(), netip.AddrPort{}, nil, gr.Name)
			}
		}
	}
	g.revoke(t, names, ReasonGrantExpired)
	g.armGrantTimer(t)
}

// stopGrantTimer stops the expiry timer for good (Shutdown).
func (g *Gateway) stopGrantTimer() {
	g.timerMu.Lock()
	defer g.timerMu.Unlock()
	g.timerStopped = true
	if g.grantTimer != nil {
		g.grantTimer.Stop()
	}
}

// safetyEntry fills e's grant keys (bounded) and its shadow counters. It runs from newEntry, under routesMu.
func (g *Gateway) safetyEntry(e *routeEntry) {
	gs, keys, dropped := prepareGrants(e.Route.Grants)
	if dropped > 0 {
		g.log.Warn("set routes: grants ignored", "route", e.Name, "dropped", dropped, "max", MaxGrantsPerRoute)
	}
	e.Route.Grants, e.grants = gs, keys
	e.grantList = nil
	if len(gs) > 0 {
		var b allowlist.Builder
		for _, gr := range gs {
			b.AddPrefix(gr.Prefix, gr.Name)
		}
		e.grantList, _ = b.Build() // masked prefixes: cannot fail
	}
	e.wouldDeny, e.wouldAdmit = nil, nil
	if e.Shadow != nil { // the connection path reads them only then
		e.wouldDeny = g.metrics.shadow.WithLabelValues(e.Name, ShadowWouldDeny)
		e.wouldAdmit = g.metrics.shadow.WithLabelValues(e.Name, ShadowWouldAdmit)
	}
}

// afterSwap follows a route change from old to t (changed: the names an
// UpdateRoutes touched; nil for SetRoutes, which may touch all): it audits
// grants added ("grant-added") or dropped before their expiry
// ("grant-revoked") in both run modes (version = the grant's name, client
// = its address, reason = its prefix length as "/N"), tracks the routes
// with grants and re-arms the expiry timer. g.routesMu is held.
func (g *Gateway) afterSwap(old, t *table, changed map[string]struct{}) {
	names := changed
	if names == nil {
		names = map[string]struct{}{}
		t.byName.each(func(e *routeEntry) { names[e.Name] = struct{}{} })
		if old != nil {
			old.byName.each(func(e *routeEntry) { names[e.Name] = struct{}{} })
		}
	}
	if g.grantNames == nil {
		g.grantNames = map[string]struct{}{}
	}
	now := time.Now()
	for name := range names {
		var o *routeEntry
		if old != nil {
			o = old.byName.get(name)
		}
		n := t.byName.get(name)
		g.auditGrantDiff(o, n, now)
		if n != nil && len(n.grants) > 0 {
			g.grantNames[name] = struct{}{}
		} else {
			delete(g.grantNames, name)
		}
	}
	g.armGrantTimer(t)
}

// auditGrantDiff audits the grants of route version n that o lacks, and
// those of o that n dropped before their expiry.
func (g *Gateway) auditGrantDiff(o, n *routeEntry, now time.Time) {
	var prev []Grant
	if o != nil {
		prev = o.Grants
	}
	if n != nil {
		for _, gr := range n.Grants {
			if !hasGrant(prev, gr) && now.Before(gr.Expires) {
				g.audit("grant-added", n, grantReason(gr), gr.Prefix.Addr(), netip.AddrPort{}, nil, gr.Name)
			}
		}
	}
	for _, gr := range prev {
		if now.Before(gr.Expires) && (n == nil || !hasGrant(n.Grants, gr)) {
			g.audit("grant-revoked", o, grantReason(gr), gr.Prefix.Addr(), netip.AddrPort{}, nil, gr.Name)
		}
	}
}

func hasGrant(gs []Grant, g Grant) bool {
	return slices.ContainsFunc(gs, func(x Grant) bool { return x.Name == g.Name && x.Prefix == g.Prefix && x.Expires.Equal(g.Expires) })
}

func grantReason(g Grant) string { return "/" + strconv.Itoa(g.Prefix.Bits()) }
