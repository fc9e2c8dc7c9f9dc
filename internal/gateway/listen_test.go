package gateway

import (
	"context"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListenKeepAliveInherited checks that a socket accepted from Listen
// has the admitted-connection keepalive settings without any setsockopt
// of its own, and that the gateway notices (no per-connection call).
func TestListenKeepAliveInherited(t *testing.T) {
	ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !listenerKeepAlive(ln) {
		t.Fatal("Listen's socket lacks the keepalive settings")
	}
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if listenerKeepAlive(plain) {
		t.Fatal("a plain listener reported as carrying the settings")
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rc, err := a.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		for _, o := range []struct {
			name       string
			level, opt int
			want       int
		}{
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, keepAliveIdle},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, keepAliveInterval},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, keepAliveCount},
		} {
			if v, err := unix.GetsockoptInt(int(fd), o.level, o.opt); err != nil || v != o.want {
				t.Errorf("accepted socket %s = %d (%v), want %d", o.name, v, err, o.want)
			}
		}
	})
	var g Gateway
	g.noteKeepAlive(ln)
	if g.kaListeners.Load() != kaAll {
		t.Error("gateway does not rely on Listen's keepalive")
	}
	g.noteKeepAlive(plain)
	if g.kaListeners.Load() != kaSome {
		t.Error("gateway relies on keepalive a plain listener does not give")
	}
}
