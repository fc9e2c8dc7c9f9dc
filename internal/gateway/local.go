package gateway

import (
	"bufio"
	"net"
	"net/netip"
)

// ConnHandler serves admitted connections in process (Route.Local), for
// example a stand-in API server that terminates TLS itself.
//
// ServeConn is called synchronously on the connection's own goroutine,
// once per admitted connection, and must return when it is done with c;
// the gateway then closes c. c's Read returns first the bytes the gateway
// has already read (the ClientHello and anything after it; never the
// PROXY header), then reads from the client. Writes, deadlines and Close
// go to the client's TCP connection. RemoteAddr is the client address the
// decision used (from the PROXY header for trusted peers) with the TCP
// peer's port. A revocation (SetRoutes) or Shutdown closes c under
// ServeConn, whose reads and writes then fail: it must return then.
// ServeConn must not keep c after it returns. The connection counts in
// tagwall_gateway_active_connections while ServeConn runs; its bytes are
// not counted in tagwall_gateway_bytes_total.
type ConnHandler interface {
	ServeConn(c net.Conn)
}

// localConn is the net.Conn a ConnHandler gets: the client's TCP
// connection with the bytes already read in front of it.
type localConn struct {
	*net.TCPConn
	br     *bufio.Reader // the decision's buffer, drained first
	remote net.Addr
}

// Read drains the decision's buffer, then reads the client directly.
func (c *localConn) Read(p []byte) (int, error) {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return c.br.Read(p)
		}
		c.br = nil
	}
	return c.TCPConn.Read(p)
}

// RemoteAddr returns the client address the decision used.
func (c *localConn) RemoteAddr() net.Addr { return c.remote }

// serveLocal hands an admitted connection to e.Local and closes it when
// ServeConn returns. st stays the caller's: it is released after.
func (g *Gateway) serveLocal(lc *liveConn, st *connState, e *routeEntry, client netip.Addr) {
	lconn := &localConn{TCPConn: lc.client, br: st.br,
		remote: net.TCPAddrFromAddrPort(netip.AddrPortFrom(client, lc.peer.Port()))}
	e.active.Inc()
	e.Local.ServeConn(lconn)
	e.active.Dec()
	// A graceful close (no reset): the handler may have written its last
	// bytes just before returning.
	s := g.live.shard(lc)
	s.mu.Lock()
	if !lc.closed {
		lc.closed = true
		lc.client.Close()
	}
	s.mu.Unlock()
}

var _ net.Conn = (*localConn)(nil)
