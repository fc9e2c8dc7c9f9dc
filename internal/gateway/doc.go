// Package gateway is the API-server front door: a TCP gateway that reads an
// optional PROXY protocol header (v1 or v2, from trusted peers only) and the
// TLS ClientHello of each connection, routes it by exact server name (SNI)
// to an upstream, and admits it only when the client address is in that
// route's allowlist. It never terminates TLS.
//
// A peer not trusted for PROXY headers that no route admits is closed at
// accept, before any read; from a trusted peer, a claimed client address
// that no route admits is denied right after the PROXY header, before the
// ClientHello is read (reason not-authorized, no route and no SNI in the
// audit line); see listRefs.setEarly for when this check is taken.
//
// Every resource a stranger can grow is bounded (Config.MaxConns,
// MaxUndecided with drop-oldest, MaxUndecidedPerSource, the audit queue).
//
// A denied connection is closed at once with a reset and is audited (msg
// "denied", with route, client, peer, sni, reason, version and count):
// one line, or a count in a collapsed line (see Config.Audit), and one
// count in tagwall_gateway_connections_total. Audit never blocks a
// connection. An
// admitted connection is spliced between the two raw *net.TCPConn with
// io.Copy, so the kernel moves the bytes; the PROXY header is not forwarded.
//
// The routing table is immutable and swapped atomically; the connection
// path reads it through an atomic pointer and takes no lock on it, and its
// lookup (a hash of the server name picks one of tableShards maps) does
// not allocate. SetRoutes builds a whole table; UpdateRoutes sets and
// removes a few routes by copying only the shards they touch, so one
// cluster's change costs the same in a table of 100 routes or 100,000.
// After a swap, live connections the new table no longer admits are
// closed (Config.RevokeExisting): after SetRoutes every connection is
// looked at, after UpdateRoutes those of the changed routes. Per-route
// metric series are optional (Config.RouteMetrics): with
// RouteMetricsAggregate the series are summed over the routes and
// Config.TopRefused bounds the per-route refusal series. The gateway fails closed: no route, a nil
// allowlist, an unreadable ClientHello or an unparsable client address
// mean deny. Shutdown stops accepting, lets live connections finish until
// its context ends, then closes them.
//
// IPv4-mapped IPv6 addresses (peers of a dual-stack listener, PROXY v2
// addresses) are unmapped before any check.
package gateway
