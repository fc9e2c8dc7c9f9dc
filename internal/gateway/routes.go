package gateway

import (
	"net/netip"
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

// admits reports whether the route lets client in. A nil list admits no one.
func (r *routeEntry) admits(client netip.Addr) bool {
	return r != nil && r.Allow != nil && r.Allow.Contains(client)
}

// table is one immutable routing table; SetRoutes swaps whole tables.
type table struct {
	bySNI  map[string]*routeEntry
	byName map[string]*routeEntry
	def    *routeEntry // the route with SNI ""
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
	return t, dups
}
