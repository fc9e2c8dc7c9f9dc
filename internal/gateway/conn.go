package gateway

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"
)

// connBufSize is the per-connection read buffer: room for a PROXY v2
// header with TLVs in front of a full-size ClientHello.
const connBufSize = MaxClientHelloBytes + 4096

// connState is the pooled per-connection memory used until the decision.
type connState struct {
	br      *bufio.Reader
	scratch helloScratch
}

func (g *Gateway) getState(c net.Conn) *connState {
	st, _ := g.states.Get().(*connState)
	if st == nil {
		st = &connState{br: bufio.NewReaderSize(c, connBufSize)}
	} else {
		st.br.Reset(c)
	}
	return st
}

func (g *Gateway) putState(st *connState) {
	st.br.Reset(nil)
	g.states.Put(st)
}

// preamble is what the gateway learned before routing.
type preamble struct {
	client netip.Addr // from the PROXY header, else the peer
	sni    []byte     // aliases the connState buffers
	n      int        // ClientHello bytes (records) buffered after the header
}

// handle serves one accepted connection (undecided and counted live by
// admitAccepted) from decision to the end of both copy directions.
func (g *Gateway) handle(lc *liveConn, trusted bool) {
	defer g.handlers.Done()
	defer g.front.live.Add(-1)
	defer g.live.remove(lc)
	start := time.Now()
	c, peer := lc.client, lc.peer
	st := g.getState(c)
	c.SetReadDeadline(start.Add(g.cfg.ClientHelloTimeout))
	pre, reason := g.readPreamble(lc, st, peer.Addr(), trusted)
	if g.front.leave(lc) {
		reason = ReasonEvicted // closed under it to make room
	}
	if reason != "" {
		g.metrics.decision.Observe(time.Since(start).Seconds())
		if g.cfg.Decisions != nil {
			g.cfg.Decisions.Record("", pre.client, false, reason, start)
		}
		g.deny(lc, nil, reason, pre.client, peer, pre.sni)
		g.putState(st)
		return
	}
	e, ok := g.decide(lc, pre, peer)
	g.metrics.decision.Observe(time.Since(start).Seconds())
	g.shadowCheck(e, ok, pre.client, peer, pre.sni)
	if !ok {
		if e != nil && g.cfg.Decisions != nil {
			g.cfg.Decisions.Record(e.Name, pre.client, false, reasonFor(e), start)
		}
		g.deny(lc, e, reasonFor(e), pre.client, peer, pre.sni)
		g.putState(st)
		return
	}
	if g.cfg.Decisions != nil {
		g.cfg.Decisions.Record(e.Name, pre.client, true, ReasonAuthorized, start)
	}
	e.allowed.Inc()
	recentOf(e).add(pre.client, start.UnixNano())
	if g.opts.auditAllowed.Load() {
		g.audit("allowed", e, ReasonAuthorized, pre.client, peer, pre.sni, e.Version)
	}
	c.SetReadDeadline(time.Time{})
	// Admitted clients get keepalive (Go's defaults) so a dead client
	// releases its upstream; sockets from Listen inherited it already.
	if g.kaListeners.Load() != kaAll {
		c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true})
	}
	if e.Local != nil {
		g.serveLocal(lc, st, e, pre.client)
		g.putState(st)
		return
	}
	up, err := g.dialUpstream(lc, e)
	if err != nil {
		e.dialErr.Inc()
		g.log.Warn("dial upstream", "route", e.Name, "upstream", e.Upstream, "client", pre.client.String(), "error", err)
		g.putState(st)
		g.closeLive(lc)
		return
	}
	// Forward everything read so far except the PROXY header: the
	// ClientHello and whatever followed it into the buffer.
	buffered, _ := st.br.Peek(st.br.Buffered())
	_, err = up.Write(buffered)
	g.putState(st)
	if err != nil {
		g.closeLive(lc)
		return
	}
	e.active.Inc()
	g.splice(lc, c, up, e)
	e.active.Dec()
}

// reasonFor names the denial for a decided connection.
func reasonFor(e *routeEntry) string {
	if e == nil {
		return ReasonNoRoute
	}
	if e.Stopped {
		return ReasonClusterStopped
	}
	return ReasonNotAuthorized
}

// decide routes the connection and checks the route's list, with the
// table in force. Once admitted the connection is registered for
// revocation; if SetRoutes swapped the table meanwhile, the decision is
// taken again with the new table, so no admission escapes a revocation.
func (g *Gateway) decide(lc *liveConn, pre preamble, peer netip.AddrPort) (*routeEntry, bool) {
	t := g.table.Load()
	var sni string // converted once, for the live registry
	for {
		e := t.lookup(pre.sni)
		if !e.admits(pre.client) {
			return e, false
		}
		if sni == "" && len(pre.sni) > 0 {
			sni = string(pre.sni)
		}
		if !g.live.admit(lc, e, pre.client, peer, sni) {
			return e, false
		}
		now := g.table.Load()
		if now == t {
			return e, true
		}
		t = now
	}
}

// readPreamble reads the PROXY header (trusted peers) and the ClientHello.
// A non-empty reason is a denial; ReasonNotAuthorized here means no route
// admits the client (decided before the ClientHello). A trusted peer's
// claimed client is counted against MaxUndecidedPerSource once known.
func (g *Gateway) readPreamble(lc *liveConn, st *connState, peer netip.Addr, trusted bool) (preamble, string) {
	pre := preamble{client: peer}
	if _, err := st.br.Peek(1); err == nil {
		lc.progress.Store(true) // errors are met again by the reads below
	}
	if trusted {
		addr, ok, err := readProxyHeader(st.br)
		switch {
		case errors.Is(err, errNoHeader):
			if g.cfg.RequireProxyHeader {
				return pre, ReasonProxyHeaderRequired
			}
		case isTimeout(err):
			return pre, ReasonHelloTimeout
		case err != nil:
			return pre, ReasonBadProxyHeader
		case ok:
			pre.client = addr
		}
	} else {
		isHeader, err := startsWithProxyHeader(st.br)
		if isHeader {
			return pre, ReasonUntrustedProxy
		}
		if isTimeout(err) {
			return pre, ReasonHelloTimeout
		}
	}
	if !pre.client.IsValid() {
		return pre, ReasonBadProxyHeader
	}
	if trusted && !g.front.claim(lc, pre.client) {
		return pre, ReasonSourceLimit
	}
	// Early deny: an address no route admits is refused before its
	// ClientHello is read (the audit line has no SNI and no route). A
	// client some route admits is judged by its own route in decide. An
	// untrusted peer's address was checked at accept already (accept); a
	// table swapped in since is applied by decide after the ClientHello.
	if trusted && g.table.Load().earlyDenies(pre.client) {
		return pre, ReasonNotAuthorized
	}
	sni, n, err := readClientHello(st.br, &st.scratch)
	if err != nil {
		if isTimeout(err) {
			return pre, ReasonHelloTimeout
		}
		return pre, ReasonBadClientHello
	}
	pre.sni, pre.n = sni, n
	return pre, ""
}

// isTimeout reports whether err is a read deadline passing (the
// ClientHello timeout). errors.Is, not errors.As with a net.Error, so the
// connection path allocates nothing for it.
func isTimeout(err error) bool {
	return err != nil && errors.Is(err, os.ErrDeadlineExceeded)
}

// deny closes the connection with a reset, counts it and writes exactly one
// audit line.
func (g *Gateway) deny(lc *liveConn, e *routeEntry, reason string, client netip.Addr, peer netip.AddrPort, sni []byte) {
	g.closeLive(lc)
	if e != nil && (reason == ReasonNotAuthorized || reason == ReasonClusterStopped) {
		e.denied.Inc()
		e.stats.refused.Add(1)
	} else {
		g.metrics.preRouteCounter(reason).Inc()
	}
	g.audit("denied", e, reason, client, peer, sni, versionOf(e))
}

// closeLive closes lc under its shard lock.
func (g *Gateway) closeLive(lc *liveConn) {
	s := g.live.shard(lc)
	s.mu.Lock()
	lc.close()
	s.mu.Unlock()
}

// audit queues one audit line (see Config.Audit); it never waits for the
// sink. Without a queue (the Logger drops INFO records) it does nothing.
func (g *Gateway) audit(msg string, e *routeEntry, reason string, client netip.Addr, peer netip.AddrPort, sni []byte, version string) {
	if g.auditW == nil {
		return
	}
	route := ""
	if e != nil {
		route = e.Name
	}
	g.auditW.add(&auditRecord{time: time.Now(), msg: msg, route: route, client: client,
		peer: peer, sni: sni, reason: reason, version: version})
}

// dialUpstream connects to e's upstream and attaches the connection to lc.
// An IP literal upstream (resolved once, in buildTable) is dialed without
// going through the resolver.
func (g *Gateway) dialUpstream(lc *liveConn, e *routeEntry) (*net.TCPConn, error) {
	var up *net.TCPConn
	if e.upAddr.IsValid() {
		c, err := g.dialer.DialTCP(context.Background(), "tcp", netip.AddrPort{}, e.upAddr)
		if err != nil {
			return nil, err
		}
		up = c
	} else {
		c, err := g.dialer.Dial("tcp", e.Upstream)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			c.Close()
			return nil, errors.New("upstream " + e.Upstream + " is not a tcp connection")
		}
		up = tc
	}
	if !g.live.attach(lc, up) {
		return nil, errors.New("connection closed while dialing " + e.Upstream)
	}
	return up, nil
}

// splice copies both ways between the raw TCP connections (pump: read and
// write first, then the kernel's splice) and half-closes each direction as
// it ends. An error on either side ends both. The upstream-to-client
// direction runs on a pooled worker; this goroutine runs the other.
func (g *Gateway) splice(lc *liveConn, client, up *net.TCPConn, e *routeEntry) {
	done := make(chan int64, 1)
	g.spawn(func() {
		n, err := pump(client, up)
		if err != nil {
			g.closeLive(lc)
		} else {
			client.CloseWrite()
		}
		done <- n
	})
	n, err := pump(up, client)
	if err != nil {
		g.closeLive(lc)
	} else {
		up.CloseWrite()
	}
	e.bytesUp.Add(float64(n))
	e.bytesDwn.Add(float64(<-done))
	s := g.live.shard(lc)
	s.mu.Lock()
	if !lc.closed {
		lc.closed = true
		client.Close()
		up.Close()
	}
	s.mu.Unlock()
}
