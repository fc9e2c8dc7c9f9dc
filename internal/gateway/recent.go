package gateway

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Recent-clients record bounds (Gateway.RecentClients).
const (
	// RecentWindow is how long an admitted client stays in its route's
	// record after its last connection.
	RecentWindow = 24 * time.Hour
	// MaxRecentClients is the most addresses one route's record lists;
	// connections from addresses beyond it are counted in Rest.
	MaxRecentClients = recentStripes * recentPerStripe

	recentStripes   = 16
	recentPerStripe = 16
)

// RecentClient is one address a route admitted within RecentWindow.
type RecentClient struct {
	Addr     netip.Addr
	Count    uint64 // connections admitted since it entered the record
	LastSeen time.Time
}

// RecentClients is a route's record: the listed clients, most connections
// first, and the connections from addresses the record could not keep.
type RecentClients struct {
	Clients []RecentClient
	// Rest counts the connections admitted since RestSince from addresses
	// not listed (evicted to make room for others), plus the connections
	// that found their stripe busy (rare; counted since the route began).
	Rest      uint64
	RestSince time.Time
}

// recentRecord is a route's bounded record of admitted clients: a fixed
// array of slots in stripes (the stripe by a hash of the address, each
// with its own small lock), so its memory does not grow with the number
// of distinct clients. A full stripe replaces a slot idle past
// RecentWindow, else the slot with the fewest connections (the oldest of
// equals), whose count moves to Rest: frequent clients stay listed while
// a stream of one-off addresses churns the smallest slots. add does not
// allocate and never waits: a stripe another connection holds is not
// waited for, the connection is counted in Rest instead (unlisted), so
// the connection path takes no blocking lock.
type recentRecord struct {
	stripes   [recentStripes]recentStripe
	contended atomic.Uint64 // connections counted without a stripe (busy)
}

type recentStripe struct {
	mu        sync.Mutex
	n         int
	slots     [recentPerStripe]recentSlot
	rest      uint64
	restSince int64
	_         [32]byte // keep stripes' locks on separate cache lines
}

type recentSlot struct {
	addr  netip.Addr
	count uint64
	last  int64 // Unix nanoseconds
}

// stripeOf picks a's stripe from a multiplicative hash of its bytes.
func (r *recentRecord) stripeOf(a netip.Addr) *recentStripe {
	b := a.As16()
	h := (binary.BigEndian.Uint64(b[:8]) ^ binary.BigEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return &r.stripes[h>>60%recentStripes]
}

// add records one admitted connection from a at now (Unix nanoseconds).
func (r *recentRecord) add(a netip.Addr, now int64) {
	a = a.Unmap()
	s := r.stripeOf(a)
	if !s.mu.TryLock() {
		r.contended.Add(1)
		return
	}
	s.addLocked(a, now)
	s.mu.Unlock()
}

func (s *recentStripe) addLocked(a netip.Addr, now int64) {
	for i := 0; i < s.n; i++ {
		if sl := &s.slots[i]; sl.addr == a {
			sl.count++
			sl.last = now
			return
		}
	}
	if s.n < recentPerStripe {
		s.slots[s.n] = recentSlot{addr: a, count: 1, last: now}
		s.n++
		return
	}
	cutoff := now - int64(RecentWindow)
	if s.restSince < cutoff {
		s.rest, s.restSince = 0, now
	}
	victim := 0
	for i := 1; i < recentPerStripe; i++ {
		v, c := &s.slots[victim], &s.slots[i]
		if v.last < cutoff {
			break
		}
		if c.last < cutoff || c.count < v.count || (c.count == v.count && c.last < v.last) {
			victim = i
		}
	}
	if v := &s.slots[victim]; v.last >= cutoff {
		s.rest += v.count
	}
	s.slots[victim] = recentSlot{addr: a, count: 1, last: now}
}

// snapshot returns the clients seen since now-RecentWindow, most
// connections first (then most recent), and the rest.
func (r *recentRecord) snapshot(now time.Time) RecentClients {
	var out RecentClients
	cutoff := now.Add(-RecentWindow).UnixNano()
	since := now.UnixNano()
	for i := range r.stripes {
		s := &r.stripes[i]
		s.mu.Lock()
		for _, sl := range s.slots[:s.n] {
			if sl.last >= cutoff {
				out.Clients = append(out.Clients, RecentClient{Addr: sl.addr, Count: sl.count, LastSeen: time.Unix(0, sl.last)})
			}
		}
		if s.rest > 0 && s.restSince >= cutoff {
			out.Rest += s.rest
			since = min(since, s.restSince)
		}
		s.mu.Unlock()
	}
	out.Rest += r.contended.Load()
	if out.Rest > 0 {
		out.RestSince = time.Unix(0, since)
	}
	slices.SortFunc(out.Clients, func(a, b RecentClient) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return out
}

// recentOf returns e's record, allocating it at the route's first
// admitted connection (once per route; a lost race uses the winner's).
func recentOf(e *routeEntry) *recentRecord {
	if r := e.stats.recent.Load(); r != nil {
		return r
	}
	r := new(recentRecord)
	if e.stats.recent.CompareAndSwap(nil, r) {
		return r
	}
	return e.stats.recent.Load()
}

// RecentClients returns the record of the clients the route named route
// (Route.Name) admitted within RecentWindow, and whether the route exists.
// The record is bounded: at most MaxRecentClients addresses, the rest
// counted (see RecentClients.Rest).
func (g *Gateway) RecentClients(route string) (RecentClients, bool) {
	e := g.table.Load().byName.get(route)
	if e == nil {
		return RecentClients{}, false
	}
	r := e.stats.recent.Load()
	if r == nil {
		return RecentClients{}, true
	}
	return r.snapshot(time.Now()), true
}
