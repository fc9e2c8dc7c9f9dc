package gateway

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tagwall/tagwall/internal/allowlist"
)

// Route sends the connections that name one server to one upstream, for the
// clients its allowlist admits.
type Route struct {
	Name     string          // route id for metrics and audit (cluster id or the YAML sni)
	SNI      string          // exact server name, lower-case; "" = the default route
	Upstream string          // host:port
	Allow    *allowlist.List // nil = deny all (fail closed)
	Version  string          // allowlist version label for audit/metrics (e.g. "3" or a hash)
	// Prefixes is the number of prefixes Allow admits, exported as a metric
	// (0 when unknown).
	Prefixes int
	// Stopped refuses every client, whatever Allow says, with reason
	// cluster-stopped: the cluster's control plane is stopped (aks stop).
	Stopped bool
	// Local, when non-nil, serves the route's admitted connections in
	// process instead of dialing Upstream (which is then ignored): see
	// ConnHandler.
	Local ConnHandler
	// Grants are time-bound entries admitted besides Allow until they
	// expire (at most MaxGrantsPerRoute; see Grant).
	Grants []Grant
	// Shadow, when non-nil, is evaluated on every decided connection and
	// enforces nothing: a connection it would decide otherwise than Allow
	// (grants apply to both) is counted in
	// tagwall_shadow_decisions_total{cluster,outcome} and audited (msg
	// "shadow", reason would-deny or would-admit, one line per client and
	// outcome per ShadowAuditWindow).
	Shadow *allowlist.List
}

// routeEntry is a Route with its metric handles resolved once, so the
// connection path never hashes label values.
type routeEntry struct {
	Route
	upAddr   netip.AddrPort // Upstream when it is an IP literal, else zero
	allowed  prometheus.Counter
	denied   prometheus.Counter
	dialErr  prometheus.Counter
	revoked  prometheus.Counter
	active   prometheus.Gauge
	bytesUp  prometheus.Counter // client → upstream
	bytesDwn prometheus.Counter // upstream → client
	// stats outlives updates of the route (same Name): its refusal count
	// ranks the routes for the top-N series.
	stats *routeStats

	grants []grantKey // Grants as the connection path checks them
	// grantList holds the grants' prefixes (expired ones too) for the
	// early check; nil without grants.
	grantList  *allowlist.List
	wouldDeny  prometheus.Counter
	wouldAdmit prometheus.Counter
}

// routeStats counts what a route saw across its versions.
type routeStats struct {
	refused atomic.Uint64 // refusals by the route: not-authorized and cluster-stopped
	// recent is the route's recent-clients record, allocated at the
	// route's first admitted connection (11 KiB), so routes nobody uses
	// cost nothing.
	recent atomic.Pointer[recentRecord]
}

// admits reports whether the route lets client in now: its list or an
// unexpired grant. A nil list admits no one but the grants; a stopped
// route admits no one. It does not allocate and reads the clock only when
// the list misses and the route has grants.
func (r *routeEntry) admits(client netip.Addr) bool {
	if r == nil || r.Stopped {
		return false
	}
	return r.listOrGrant(r.Allow, client)
}

// shadowAdmits reports the shadow verdict for client (list or grant); the
// caller has checked r.Shadow != nil.
func (r *routeEntry) shadowAdmits(client netip.Addr) bool {
	return r.listOrGrant(r.Shadow, client)
}

// listOrGrant reports whether l (nil: no one) or one of the route's
// unexpired grants admits client now, whether or not the route is stopped.
// It does not allocate and reads the clock only when l misses and the
// route has grants.
func (r *routeEntry) listOrGrant(l *allowlist.List, client netip.Addr) bool {
	if l.Contains(client) {
		return true
	}
	return len(r.grants) > 0 && grantAt(r.grants, client.Unmap(), time.Now().UnixNano()) >= 0
}

// SetRoutes swaps in a new routing table atomically: connections accepted
// afterwards are decided with routes. Unless Config.RevokeExisting is false,
// live connections that the new table no longer admits (their route is gone
// or its list excludes their client) are then closed. Routes that repeat an
// earlier route's Name or SNI are ignored and logged. The metric series of
// routes that are gone are removed. It costs time in proportion to the
// routes: UpdateRoutes changes a few.
func (g *Gateway) SetRoutes(routes []Route) {
	g.routesMu.Lock()
	defer g.routesMu.Unlock()
	t, refs, dups := g.buildTable(routes)
	for _, d := range dups {
		g.log.Warn("set routes: duplicate route ignored", "route", d)
	}
	old := g.table.Swap(t)
	g.routesChanged()
	g.refs = refs
	g.metrics.publish(old, t)
	g.afterSwap(old, t, nil)
	if g.opts.revoke.Load() {
		g.revoke(t, nil, ReasonRevoked)
	}
}

// UpdateRoutes changes the routes in force: it adds or replaces (by Name)
// the routes of set and removes the routes named in remove, in one atomic
// swap, copying only the parts of the table they touch, so its cost does
// not grow with the table. A name in both set and remove is set. A route
// of set whose SNI another route holds is ignored and logged (the route
// of that name, if any, stays as it was); within set the last route of a
// name wins. Unless Config.RevokeExisting is false, live connections of
// the changed and removed routes that the new table no longer admits are
// then closed; other connections are not looked at again. The metric
// series of removed routes are removed.
func (g *Gateway) UpdateRoutes(set []Route, remove []string) {
	if len(set) == 0 && len(remove) == 0 {
		return
	}
	g.routesMu.Lock()
	defer g.routesMu.Unlock()
	before := g.table.Load()
	ed := editOf(before)
	changed := make(map[string]struct{}, len(set)+len(remove))
	for _, r := range set {
		changed[r.Name] = struct{}{}
	}
	var gone, replaced, added []*routeEntry
	for _, name := range remove {
		if _, isSet := changed[name]; isSet {
			continue
		}
		if e := ed.t.byName.get(name); e != nil {
			ed.remove(e)
			g.refs.remove(e)
			gone = append(gone, e)
			changed[name] = struct{}{}
		}
	}
	for _, r := range set {
		r.SNI = strings.ToLower(r.SNI)
		prev := ed.t.byName.get(r.Name)
		if h := ed.t.holder(r.SNI); h != nil && h.Name != r.Name {
			g.log.Warn("update routes: duplicate route ignored", "route", "sni "+r.SNI, "name", r.Name)
			continue
		}
		if prev != nil {
			ed.remove(prev)
			g.refs.remove(prev)
			replaced = append(replaced, prev)
		}
		e := g.newEntry(r, prev)
		ed.put(e)
		g.refs.add(e)
		added = append(added, e)
	}
	g.refs.setEarly(ed.t)
	g.table.Store(ed.t)
	g.routesChanged()
	g.metrics.update(added, replaced, gone)
	g.afterSwap(before, ed.t, changed)
	if g.opts.revoke.Load() {
		g.revoke(ed.t, changed, ReasonRevoked)
	}
}

// RoutesChanged returns a channel that is closed when the routes in force
// next change (SetRoutes, or UpdateRoutes with something to do). Take it
// before reading Routes, so that a change in between is not missed: a
// follower of the routes (the kernel prefilter) then does no work while
// nothing changes, however many routes there are.
func (g *Gateway) RoutesChanged() <-chan struct{} {
	g.changedMu.Lock()
	defer g.changedMu.Unlock()
	return g.changed
}

// routesChanged wakes RoutesChanged's waiters; under routesMu.
func (g *Gateway) routesChanged() {
	g.changedMu.Lock()
	close(g.changed)
	g.changed = make(chan struct{})
	g.changedMu.Unlock()
}

// Route returns the route in force named name.
func (g *Gateway) Route(name string) (Route, bool) {
	if e := g.table.Load().byName.get(name); e != nil {
		return e.Route, true
	}
	return Route{}, false
}

// Routes returns the routes in force, in no particular order.
func (g *Gateway) Routes() []Route {
	t := g.table.Load()
	out := make([]Route, 0, t.n)
	t.byName.each(func(e *routeEntry) { out = append(out, e.Route) })
	return out
}

// RouteCount returns the number of routes in force.
func (g *Gateway) RouteCount() int { return g.table.Load().n }

// Check reports the route the table in force picks for a server name
// (the exact match, else the default route; "" for none) and whether its
// list admits client, as a connection's decision would (without the
// early check, which never contradicts it). It is for probes and tests.
func (g *Gateway) Check(sni string, client netip.Addr) (route string, admitted bool) {
	e := g.table.Load().lookup([]byte(sni))
	if e == nil {
		return "", false
	}
	return e.Name, e.admits(client.Unmap())
}
