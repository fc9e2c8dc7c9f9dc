package testutil

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// OfflineClient returns an HTTP client that sends every request to a
// closed loopback port: nothing leaves the machine and every request fails
// at once, as on a machine with no network.
func OfflineClient(tb testing.TB) *http.Client {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, closed)
	}}
	return &http.Client{Transport: tr}
}

// HoldingUpstream listens on a loopback port and holds every connection it
// accepts open for hold without a byte, as a slow upstream does; it is
// closed when the test ends. It returns the address.
func HoldingUpstream(tb testing.TB, hold time.Duration) string {
	tb.Helper()
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { up.Close() })
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); time.Sleep(hold) }()
		}
	}()
	return up.Addr().String()
}
