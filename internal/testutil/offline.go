package testutil

import (
	"context"
	"net"
	"net/http"
	"testing"
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
