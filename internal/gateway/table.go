package gateway

import (
	"hash/maphash"
	"maps"
	"net/netip"
	"strings"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// tableShards is the number of shards of each of a table's two maps. An
// update copies the shards it touches (about routes/tableShards entries
// each) and the two arrays of shard references (2 × 8 B × tableShards),
// so one route's change costs microseconds whatever the fleet's size.
const tableShards = 1024

// shardMap is a map from string to route split in tableShards maps by a
// hash of the key. A table's shardMaps are never written once the table
// is published; an edit copies the shards it writes (tableEdit).
type shardMap [tableShards]map[string]*routeEntry

// shardSeed hashes keys to shards; it is the process's, so every table
// agrees.
var shardSeed = maphash.MakeSeed()

func shardOf(key string) int { return int(maphash.String(shardSeed, key) % tableShards) }

// shardOfBytes is shardOf for a byte slice; it does not allocate.
func shardOfBytes(key []byte) int { return int(maphash.Bytes(shardSeed, key) % tableShards) }

// get returns the route under key, or nil.
func (m *shardMap) get(key string) *routeEntry { return m[shardOf(key)][key] }

// each calls fn for every route of m.
func (m *shardMap) each(fn func(*routeEntry)) {
	for _, s := range m {
		for _, e := range s {
			fn(e)
		}
	}
}

// table is one immutable routing table, published through an atomic
// pointer: SetRoutes builds a whole new one, UpdateRoutes a copy that
// shares every shard it does not change.
type table struct {
	bySNI  shardMap    // non-empty SNI → route
	byName shardMap    // Name → route
	def    *routeEntry // the route with SNI ""
	n      int         // routes

	// early: an address none of lists admits is denied before its
	// ClientHello is read (see earlyDenies). Set only when every route
	// has a list, none admits everyone, and there are at most
	// maxEarlyLists distinct lists.
	early bool
	lists []*allowlist.List // distinct Allow lists of the routes, when early
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
		if r, ok := t.bySNI[shardOfBytes(name)][string(name)]; ok {
			return r
		}
	}
	return t.def
}

// holder returns the route that holds a (lower-case) SNI, the default
// route for "".
func (t *table) holder(sni string) *routeEntry {
	if sni == "" {
		return t.def
	}
	return t.bySNI.get(sni)
}

// tableEdit derives a new table from a published one, copying a shard the
// first time it writes it.
type tableEdit struct {
	t                *table
	ownSNI, ownNames [tableShards]bool
}

// editOf starts an edit of old (which stays unchanged).
func editOf(old *table) *tableEdit {
	t := *old
	t.lists = nil
	return &tableEdit{t: &t}
}

// writable returns shard i of m, copied first unless this edit owns it.
func writable(m *shardMap, own *[tableShards]bool, i int) map[string]*routeEntry {
	if !own[i] {
		s := make(map[string]*routeEntry, len(m[i])+1)
		maps.Copy(s, m[i])
		m[i], own[i] = s, true
	}
	return m[i]
}

// put adds e, whose Name and SNI must be free in the table.
func (ed *tableEdit) put(e *routeEntry) {
	writable(&ed.t.byName, &ed.ownNames, shardOf(e.Name))[e.Name] = e
	if e.SNI == "" {
		ed.t.def = e
	} else {
		writable(&ed.t.bySNI, &ed.ownSNI, shardOf(e.SNI))[e.SNI] = e
	}
	ed.t.n++
}

// remove takes e out of the table.
func (ed *tableEdit) remove(e *routeEntry) {
	delete(writable(&ed.t.byName, &ed.ownNames, shardOf(e.Name)), e.Name)
	switch {
	case e.SNI == "":
		if ed.t.def == e {
			ed.t.def = nil
		}
	case ed.t.bySNI.get(e.SNI) == e:
		delete(writable(&ed.t.bySNI, &ed.ownSNI, shardOf(e.SNI)), e.SNI)
	}
	ed.t.n--
}

// listRefs counts the routes of the table in force by list, so the early
// check is decided per update in time proportional to the update. It is
// guarded by Gateway.routesMu.
type listRefs struct {
	refs map[*allowlist.List]int
	open int // routes with no list, stopped or with an allow-all list
}

// open reports whether e keeps the table off the early check: no list, a
// stopped route (its refusals name it), an allow-all list, or a shadow
// list (it must see the connections the list refuses to count
// would-admit). A route's grants do not: their prefixes are one more
// early list (grantList; an expired grant's prefix then passes the early
// check until the route changes, and the decision after the ClientHello
// refuses it).
func open(e *routeEntry) bool {
	return e.Allow == nil || e.Stopped || e.Allow.AllowsAll() || e.Shadow != nil
}

func (r *listRefs) add(e *routeEntry) {
	if open(e) {
		r.open++
		return
	}
	if r.refs == nil {
		r.refs = map[*allowlist.List]int{}
	}
	r.refs[e.Allow]++
	if e.grantList != nil {
		r.refs[e.grantList]++
	}
}

func (r *listRefs) remove(e *routeEntry) {
	if open(e) {
		r.open--
		return
	}
	for _, l := range []*allowlist.List{e.Allow, e.grantList} {
		if l == nil {
			continue
		}
		if r.refs[l]--; r.refs[l] <= 0 {
			delete(r.refs, l)
		}
	}
}

// setEarly decides whether t takes the early check and collects its
// lists. A table with no route, a nil-Allow (deny-all) route or an
// allow-all route keeps deciding after the ClientHello, so its denials
// name the route (or no-route) as before.
func (r *listRefs) setEarly(t *table) {
	t.early, t.lists = false, nil
	if t.n == 0 || r.open > 0 || len(r.refs) > maxEarlyLists {
		return
	}
	for l := range r.refs {
		t.lists = append(t.lists, l)
	}
	t.early = true
}

// buildTable resolves routes into a new table and its list counts.
// Duplicates keep the first route with that SNI or name; the rest are
// reported in dups.
func (g *Gateway) buildTable(routes []Route) (t *table, refs listRefs, dups []string) {
	ed := editOf(&table{})
	if per := len(routes) / tableShards; per > 0 { // spare the maps' growth
		hint := per + per/2 + 2
		for i := range tableShards {
			ed.t.byName[i], ed.t.bySNI[i] = make(map[string]*routeEntry, hint), make(map[string]*routeEntry, hint)
			ed.ownNames[i], ed.ownSNI[i] = true, true
		}
	}
	for _, r := range routes {
		r.SNI = strings.ToLower(r.SNI)
		if ed.t.byName.get(r.Name) != nil {
			dups = append(dups, "name "+r.Name)
			continue
		}
		if ed.t.holder(r.SNI) != nil {
			dups = append(dups, "sni "+r.SNI)
			continue
		}
		e := g.newEntry(r, g.table.Load().byName.get(r.Name))
		ed.put(e)
		refs.add(e)
	}
	refs.setEarly(ed.t)
	return ed.t, refs, dups
}

// newEntry resolves r, keeping prev's metric handles when prev is the
// same route's earlier version in the same state (stopped or not), and
// its stats in any case.
func (g *Gateway) newEntry(r Route, prev *routeEntry) *routeEntry {
	var e *routeEntry
	switch {
	case prev != nil && prev.Name == r.Name && prev.Stopped == r.Stopped:
		c := *prev
		c.Route, c.upAddr = r, netip.AddrPort{}
		e = &c
	case prev != nil && prev.Name == r.Name:
		e = g.metrics.entry(r)
		e.stats = prev.stats
	default:
		e = g.metrics.entry(r)
	}
	if ap, err := netip.ParseAddrPort(r.Upstream); err == nil && ap.Addr().Zone() == "" {
		e.upAddr = ap // a zoned address is left to the dialer
	}
	g.safetyEntry(e)
	return e
}
