package gateway

import (
	"net/netip"
	"slices"
	"strings"

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
}

// admits reports whether the route lets client in. A nil list or a
// stopped route admits no one.
func (r *routeEntry) admits(client netip.Addr) bool {
	return r != nil && !r.Stopped && r.Allow != nil && r.Allow.Contains(client)
}

// table is one immutable routing table; SetRoutes swaps whole tables.
type table struct {
	bySNI  map[string]*routeEntry
	byName map[string]*routeEntry
	def    *routeEntry // the route with SNI ""

	// early: an address none of lists admits is denied before its
	// ClientHello is read (see earlyDenies). Set only when every route
	// has a list, none admits everyone, and there are at most
	// maxEarlyLists distinct lists.
	early bool
	lists []*allowlist.List // distinct Allow lists of the routes
}

// maxEarlyLists bounds the Contains calls the early check makes per
// connection; a larger table decides after the ClientHello only.
const maxEarlyLists = 16

// earlyDenies reports whether no route of t admits client, so the
// connection can be refused before its ClientHello. It is false whenever
// the early check is off for t.
func (t *table) earlyDenies(client netip.Addr) bool {
	if !t.early {
		return false
	}
	for _, l := range t.lists {
		if l.Contains(client) {
			return false
		}
	}
	return true
}

// setEarly decides whether t takes the early check and collects its lists.
// A table with no route, a nil-Allow (deny-all) route or an allow-all
// route keeps deciding after the ClientHello, so its denials name the
// route (or no-route) as before.
func (t *table) setEarly() {
	t.early, t.lists = false, nil
	if len(t.byName) == 0 {
		return
	}
	var lists []*allowlist.List
	for _, e := range t.byName {
		if e.Allow == nil || e.Stopped || e.Allow.AllowsAll() {
			return
		}
		if !slices.Contains(lists, e.Allow) {
			if len(lists) == maxEarlyLists {
				return
			}
			lists = append(lists, e.Allow)
		}
	}
	t.early, t.lists = true, lists
}

// lookup finds the route for a server name: the exact (ASCII
// case-insensitive) match, else the default route. It does not allocate.
func (t *table) lookup(sni []byte) *routeEntry {
	if len(sni) > 0 && len(sni) <= maxServerNameLen {
		var lower [maxServerNameLen]byte
		name := sni
		for i, c := range sni {
			if 'A' <= c && c <= 'Z' {
				n := copy(lower[:], sni)
				for j := i; j < n; j++ {
					if b := lower[j]; 'A' <= b && b <= 'Z' {
						lower[j] = b + ('a' - 'A')
					}
				}
				name = lower[:n]
				break
			}
		}
		if r, ok := t.bySNI[string(name)]; ok {
			return r
		}
	}
	return t.def
}

// buildTable resolves routes into a table. Duplicates keep the first route
// with that SNI or name; the rest are reported in dups.
func (g *Gateway) buildTable(routes []Route) (t *table, dups []string) {
	t = &table{bySNI: make(map[string]*routeEntry, len(routes)), byName: make(map[string]*routeEntry, len(routes))}
	for _, r := range routes {
		r.SNI = strings.ToLower(r.SNI)
		if _, ok := t.byName[r.Name]; ok {
			dups = append(dups, "name "+r.Name)
			continue
		}
		if _, ok := t.bySNI[r.SNI]; ok || (r.SNI == "" && t.def != nil) {
			dups = append(dups, "sni "+r.SNI)
			continue
		}
		e := g.metrics.entry(r)
		if ap, err := netip.ParseAddrPort(r.Upstream); err == nil {
			e.upAddr = netip.AddrPortFrom(ap.Addr().WithZone(""), ap.Port())
			if ap.Addr().Zone() != "" {
				e.upAddr = netip.AddrPort{} // zoned: let the dialer resolve the zone
			}
		}
		t.byName[r.Name] = e
		if r.SNI == "" {
			t.def = e
		} else {
			t.bySNI[r.SNI] = e
		}
	}
	t.setEarly()
	return t, dups
}
