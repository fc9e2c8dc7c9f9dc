package gateway

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Keepalive of admitted client connections (Go's defaults, see Listen).
const (
	keepAliveIdle     = 15 // seconds
	keepAliveInterval = 15 // seconds
	keepAliveCount    = 9
)

// listenControl sets, on the listening socket before bind, the keepalive
// settings accepted sockets inherit (see Listen).
func listenControl(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		set := func(level, opt, v int) {
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), level, opt, v)
			}
		}
		set(unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		set(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, keepAliveIdle)
		set(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, keepAliveInterval)
		set(unix.IPPROTO_TCP, unix.TCP_KEEPCNT, keepAliveCount)
	})
	if err != nil {
		return err
	}
	return serr
}

// Values of Gateway.kaListeners.
const (
	kaUnknown = iota // no listener yet
	kaAll            // every listener's sockets inherit keepalive
	kaSome           // at least one listener's do not
)

// noteKeepAlive records whether ln's accepted sockets inherit the
// admitted-connection keepalive settings (one getsockopt per Serve).
func (g *Gateway) noteKeepAlive(ln net.Listener) {
	if listenerKeepAlive(ln) {
		g.kaListeners.CompareAndSwap(kaUnknown, kaAll)
		return
	}
	g.kaListeners.Store(kaSome)
}

// listenerKeepAlive reports whether ln is a TCP listener whose socket has
// keepalive on with the admitted-connection settings.
func listenerKeepAlive(ln net.Listener) bool {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	rc.Control(func(fd uintptr) {
		get := func(level, opt int) int {
			v, err := unix.GetsockoptInt(int(fd), level, opt)
			if err != nil {
				return -1
			}
			return v
		}
		ok = get(unix.SOL_SOCKET, unix.SO_KEEPALIVE) == 1 &&
			get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE) == keepAliveIdle &&
			get(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL) == keepAliveInterval &&
			get(unix.IPPROTO_TCP, unix.TCP_KEEPCNT) == keepAliveCount
	})
	return ok
}
