package testutil

import (
	"context"
	"net"
	"net/netip"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// ProxyHeader is a PROXY protocol v2 header that presents client (an IP
// address) as the source of a connection to dst (the gateway's loopback
// host:port). An IPv6 client gets ::1 as destination, since a header's
// two addresses must be of one family.
func ProxyHeader(client, dst string) *proxyproto.Header {
	src := netip.MustParseAddr(client)
	d := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(dst))
	h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY,
		SourceAddr: &net.TCPAddr{IP: src.AsSlice(), Port: 40000}, DestinationAddr: d}
	if src.Is4() {
		h.TransportProtocol = proxyproto.TCPv4
	} else {
		h.TransportProtocol = proxyproto.TCPv6
		h.DestinationAddr = &net.TCPAddr{IP: net.IPv6loopback, Port: d.Port}
	}
	return h
}

// DialProxied connects to addr over loopback and, unless client is "",
// first sends ProxyHeader(client, addr): from a trusted loopback peer,
// the gateway then sees client as the connection's source.
func DialProxied(ctx context.Context, addr, client string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil || client == "" {
		return c, err
	}
	if _, err := ProxyHeader(client, addr).WriteTo(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
