package gateway

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// liveConn is one accepted connection, from accept until both directions
// end. Its route and client are set once the connection is admitted;
// SetRoutes re-checks them against each new table.
type liveConn struct {
	id     uint64
	client *net.TCPConn

	// Guarded by the shard's mutex.
	route  *routeEntry // nil until admitted
	addr   netip.Addr  // the client address the decision used
	peer   netip.AddrPort
	sni    string
	up     *net.TCPConn
	closed bool

	// Guarded by frontDoor.mu: the undecided list and source count.
	prev, next *liveConn
	src        netip.Addr // the source this connection counts against
	undecided  bool
	evicted    bool // dropped from the undecided set to make room

	progress atomic.Bool // a first byte was read: the client is talking
}

// close ends the connection in both directions, at once (RST to the
// client). It is idempotent. The caller must hold the shard lock or own lc
// exclusively; registry.each and revoke hold it.
func (lc *liveConn) close() {
	if lc.closed {
		return
	}
	lc.closed = true
	lc.client.SetLinger(0)
	lc.client.Close()
	if lc.up != nil {
		lc.up.Close()
	}
}

const registryShards = 32

// registry is the set of live connections, sharded to keep the accept path
// off a single lock. It is separate from the route table, which is only
// ever read through an atomic pointer.
type registry struct {
	next   atomic.Uint64
	shards [registryShards]shard
}

type shard struct {
	mu    sync.Mutex
	conns map[*liveConn]struct{}
	_     [40]byte // keep shards on separate cache lines
}

func (r *registry) init() {
	for i := range r.shards {
		r.shards[i].conns = make(map[*liveConn]struct{})
	}
}

func (r *registry) shard(lc *liveConn) *shard { return &r.shards[lc.id%registryShards] }

// newConn returns an unregistered connection with its id.
func (r *registry) newConn(c *net.TCPConn) *liveConn {
	return &liveConn{id: r.next.Add(1), client: c}
}

// add registers lc (from newConn).
func (r *registry) add(lc *liveConn) {
	s := r.shard(lc)
	s.mu.Lock()
	s.conns[lc] = struct{}{}
	s.mu.Unlock()
}

func (r *registry) remove(lc *liveConn) {
	s := r.shard(lc)
	s.mu.Lock()
	delete(s.conns, lc)
	s.mu.Unlock()
}

// admit records the decision on lc. It reports false when lc was closed
// meanwhile (revoked or shut down).
func (r *registry) admit(lc *liveConn, e *routeEntry, addr netip.Addr, peer netip.AddrPort, sni string) bool {
	s := r.shard(lc)
	s.mu.Lock()
	defer s.mu.Unlock()
	lc.route, lc.addr, lc.peer, lc.sni = e, addr, peer, sni
	return !lc.closed
}

// attach records the upstream connection. It reports false (and closes up)
// when lc was closed meanwhile.
func (r *registry) attach(lc *liveConn, up *net.TCPConn) bool {
	s := r.shard(lc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if lc.closed {
		up.Close()
		return false
	}
	lc.up = up
	return true
}

// each calls fn for every live connection with its shard locked.
func (r *registry) each(fn func(*liveConn)) {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		for lc := range s.conns {
			fn(lc)
		}
		s.mu.Unlock()
	}
}

// revoke closes the admitted connections that t does not admit: their
// route is gone from t (by name) or its list excludes their client. With
// names non-nil only the connections of the routes named are looked at.
func (g *Gateway) revoke(t *table, names map[string]struct{}) {
	g.live.each(func(lc *liveConn) {
		if lc.route == nil || lc.closed {
			return
		}
		if names != nil {
			if _, ok := names[lc.route.Name]; !ok {
				return
			}
		}
		e := t.byName.get(lc.route.Name)
		if e.admits(lc.addr) {
			return
		}
		lc.close()
		lc.route.revoked.Inc()
		g.audit("revoked", lc.route, ReasonRevoked, lc.addr, lc.peer, []byte(lc.sni), versionOf(e))
	})
}

// versionOf returns e's allowlist version, or "" for no route.
func versionOf(e *routeEntry) string {
	if e == nil {
		return ""
	}
	return e.Version
}
