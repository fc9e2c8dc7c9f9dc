package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Gateway is the front door. Create it with New, give it routes with
// SetRoutes, and run Serve on one or more listeners. All methods are safe
// for concurrent use. A Gateway with no routes denies every connection.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	dialer  net.Dialer
	table   atomic.Pointer[table]
	opts    liveOptions // RevokeExisting and AuditAllowed, changeable at run time
	live    registry
	front   frontDoor
	states  sync.Pool    // *connState
	auditW  *auditWriter // nil: the Logger drops INFO, no audit

	routesMu sync.Mutex // serializes SetRoutes and UpdateRoutes
	refs     listRefs   // the table in force's list counts; guarded by routesMu
	// grantNames are the routes of the table in force with grants;
	// guarded by routesMu.
	grantNames map[string]struct{}
	// changed is closed, and replaced, when the table in force changes
	// (RoutesChanged); guarded by changedMu, written under routesMu.
	changedMu sync.Mutex
	changed   chan struct{}

	// Grant expiry: one timer for the next expiry of the table in force.
	timerMu      sync.Mutex
	grantTimer   *time.Timer
	timerStopped bool
	swept        int64 // Unix ns: expiries up to here are audited

	// Workers: goroutines that outlive one connection, so their grown
	// stacks are reused (see spawn).
	work     chan func()
	idle     atomic.Int32
	quit     chan struct{}
	quitOnce sync.Once

	// kaListeners is kaAll while every listener Serve was given hands its
	// accepted connections the admitted-connection keepalive settings
	// (Listen's do), so handle need not set them per connection; kaSome
	// once one does not.
	kaListeners atomic.Int32

	mu        sync.Mutex // guards listeners, closing and handlers.Add
	listeners map[net.Listener]struct{}
	closing   bool
	handlers  sync.WaitGroup
}

// New returns a Gateway with an empty routing table. It fails on an invalid
// Config or when the metrics cannot be registered.
func New(cfg Config) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new gateway: %w", err)
	}
	m, err := newMetrics(cfg.Registerer, cfg.RouteMetrics)
	if err != nil {
		return nil, fmt.Errorf("new gateway: register metrics: %w", err)
	}
	g := &Gateway{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: m,
		// Keepalive on the upstream side is left to the client side: a dead
		// client is found by its keepalive, an upstream by the client.
		dialer:    net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: -1},
		listeners: make(map[net.Listener]struct{}),
		work:      make(chan func()),
		quit:      make(chan struct{}),
	}
	if err := g.registerLimitMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("new gateway: register metrics: %w", err)
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(newRoutesCollector(g, cfg.TopRefused)); err != nil {
			return nil, fmt.Errorf("new gateway: register metrics: %w", err)
		}
	}
	switch {
	case cfg.Audit != nil:
		g.auditW = newAuditWriter(cfg.Audit, cfg.AuditFlushInterval, m.auditDropped, m.auditCollapsed)
	case cfg.Logger.Handler().Enabled(context.Background(), slog.LevelInfo):
		g.auditW = newAuditWriter(slogSink{cfg.Logger.Handler()}, cfg.AuditFlushInterval, m.auditDropped, m.auditCollapsed)
	}
	g.opts.set(cfg.RevokeExisting, cfg.AuditAllowed)
	g.front.init(cfg.MaxConns, cfg.MaxUndecided, cfg.MaxUndecidedPerSource)
	g.live.init()
	g.table.Store(&table{})
	g.changed = make(chan struct{})
	return g, nil
}

// Serve accepts connections on ln until Shutdown, when it returns
// net.ErrClosed. Listeners other than TCP listeners are accepted, but only
// *net.TCPConn connections are served (others are closed). Serve may be
// called on several listeners at once.
//
// Before any read, at accept, Serve closes with a reset (and audits) a
// connection beyond MaxConns (conn-limit), one from a peer that is not
// trusted for PROXY headers and that no route admits (not-authorized),
// and one from an untrusted peer at its MaxUndecidedPerSource cap
// (source-limit). A connection that enters a full undecided set closes
// the oldest undecided one (undecided-evicted).
func (g *Gateway) Serve(ln net.Listener) error {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		return net.ErrClosed
	}
	g.listeners[ln] = struct{}{}
	g.mu.Unlock()
	g.noteKeepAlive(ln)
	defer func() {
		g.mu.Lock()
		delete(g.listeners, ln)
		g.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if g.isClosing() || errors.Is(err, net.ErrClosed) {
				return net.ErrClosed
			}
			// Out of descriptors and the like: wait and try again, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			g.log.Warn("accept", "listener", ln.Addr().String(), "error", err, "retry", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		tc, ok := c.(*net.TCPConn)
		if !ok {
			c.Close()
			continue
		}
		lc, trusted, ok := g.admitAccepted(tc)
		if !ok {
			continue
		}
		if !g.startHandler() {
			g.front.leave(lc)
			g.front.live.Add(-1)
			tc.SetLinger(0)
			tc.Close()
			return net.ErrClosed
		}
		g.live.add(lc)
		g.spawn(func() { g.handle(lc, trusted) })
	}
}

// admitAccepted applies the at-accept checks (see Serve) to a new
// connection. When it reports ok, lc is undecided and counted live; else
// the connection is already closed, counted and audited.
func (g *Gateway) admitAccepted(tc *net.TCPConn) (lc *liveConn, trusted, ok bool) {
	peer := netip.AddrPort{}
	if ta, isTCP := tc.RemoteAddr().(*net.TCPAddr); isTCP {
		peer = ta.AddrPort()
		peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	}
	// Reserve the live slot first (Add, then compare): with Serve on
	// several listeners, a Load-then-Add check let each accept loop pass
	// at the cap at once.
	if g.front.live.Add(1) > int64(g.front.maxConns) {
		g.front.live.Add(-1)
		g.refuse(tc, ReasonConnLimit, peer)
		return nil, false, false
	}
	trusted = g.cfg.trusts(peer.Addr())
	if !trusted && peer.Addr().IsValid() && g.table.Load().earlyDenies(peer.Addr()) {
		g.front.live.Add(-1)
		g.refuse(tc, ReasonNotAuthorized, peer)
		return nil, false, false
	}
	src := netip.Addr{}
	if !trusted {
		src = peer.Addr()
	}
	lc = g.live.newConn(tc)
	lc.peer = peer
	entered, victim := g.front.enter(lc, src)
	if victim != nil {
		g.closeLive(victim) // its handler audits the eviction
	}
	if !entered {
		g.front.live.Add(-1)
		g.refuse(tc, ReasonSourceLimit, peer)
		return nil, false, false
	}
	return lc, trusted, true
}

// refuse closes a connection at accept with a reset, counts it and
// audits it (client = peer, no route, no SNI).
func (g *Gateway) refuse(tc *net.TCPConn, reason string, peer netip.AddrPort) {
	tc.SetLinger(0)
	tc.Close()
	g.metrics.preRouteCounter(reason).Inc()
	g.audit(DecisionDenied, nil, reason, peer.Addr(), peer, nil, "")
}

// maxIdleWorkers bounds the goroutines kept waiting for work.
const maxIdleWorkers = 256

// spawn runs fn on an idle worker, or on a new one. A worker that finishes
// waits for more work unless maxIdleWorkers already wait; the workers exit
// at Shutdown. Reusing goroutines saves the stack growth (copystack) every
// new connection goroutine otherwise pays on the dial and copy paths.
func (g *Gateway) spawn(fn func()) {
	select {
	case g.work <- fn:
	default:
		go g.worker(fn)
	}
}

func (g *Gateway) worker(fn func()) {
	for {
		fn()
		if g.idle.Add(1) > maxIdleWorkers {
			g.idle.Add(-1)
			return
		}
		select {
		case fn = <-g.work:
			g.idle.Add(-1)
		case <-g.quit:
			g.idle.Add(-1)
			return
		}
	}
}

func (g *Gateway) isClosing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closing
}

// startHandler counts one more connection handler unless shutting down.
func (g *Gateway) startHandler() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.handlers.Add(1)
	return true
}

// Shutdown stops every Serve loop, lets live connections run until they end
// or ctx is done, then closes those left, and writes the queued audit
// lines, waiting for the audit sink no longer than ctx and at most one
// second: a sink that does not take them in time is abandoned
// (ErrAuditStalled). Shutdown returns by ctx's deadline whatever the sink
// does. It returns ctx.Err() when it had to close connections, else the
// audit error if any, nil otherwise.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.stopGrantTimer()
	g.mu.Lock()
	g.closing = true
	for ln := range g.listeners {
		ln.Close()
	}
	g.mu.Unlock()
	done := make(chan struct{})
	go func() {
		g.handlers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		g.live.each(func(lc *liveConn) { lc.close() })
		<-done
		err = ctx.Err()
	}
	g.quitOnce.Do(func() { close(g.quit) })
	if g.auditW != nil {
		actx, cancel := context.WithTimeout(ctx, auditFlushWait)
		if aerr := g.auditW.close(actx); err == nil {
			err = aerr
		}
		cancel()
	}
	return err
}

// FlushAudit has the audit lines queued so far (Config.Audit) written,
// open collapse windows included, and returns the first write error since
// the last call. It waits for the sink at most one second, then returns
// an error wrapping ErrAuditStalled. Without Config.Audit it does nothing.
func (g *Gateway) FlushAudit() error {
	if g.auditW == nil {
		return nil
	}
	return g.auditW.flush()
}

// Listen announces a TCP listener for Serve without the per-connection
// keepalive setsockopts net.Listen applies to every accepted connection:
// most front-door connections are denied and closed at once, and the
// gateway enables keepalive on admitted connections itself.
//
// The listening socket carries the keepalive settings admitted
// connections get (SO_KEEPALIVE, 15 s idle, 15 s interval, 9 probes) and
// every accepted socket inherits them from the kernel, so the gateway makes
// no keepalive setsockopt per connection (four per admitted one before);
// a denied connection closes before its first keepalive timer could fire.
func Listen(ctx context.Context, network, address string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1, Control: listenControl}
	return lc.Listen(ctx, network, address)
}
