package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/netip"

	"github.com/pires/go-proxyproto"
)

// Signatures of the two PROXY protocol versions.
var (
	sigV1 = []byte("PROXY ")
	sigV2 = proxyproto.SIGV2
)

// errNoHeader reports that the stream does not start with a PROXY header.
var errNoHeader = errors.New("no proxy header")

// startsWithProxyHeader reports whether br's stream begins with a PROXY v1
// or v2 signature. It peeks only as far as needed: a TLS record starts with
// 0x16, so the common case costs one buffered byte.
func startsWithProxyHeader(br *bufio.Reader) (bool, error) {
	b, err := br.Peek(1)
	if err != nil {
		return false, err
	}
	var sig []byte
	switch b[0] {
	case sigV1[0]:
		sig = sigV1
	case sigV2[0]:
		sig = sigV2
	default:
		return false, nil
	}
	b, err = br.Peek(len(sig))
	if err != nil {
		// A short stream that matches so far is still a header attempt.
		return len(b) > 0 && bytes.HasPrefix(sig, b), err
	}
	return bytes.Equal(b, sig), nil
}

// readProxyHeader consumes a PROXY header from br and returns the client
// address it carries, unmapped. ok is false for a LOCAL command or an
// UNKNOWN/UNSPEC family: the caller then uses the peer address, as the
// specification asks. errNoHeader means the stream has no header.
func readProxyHeader(br *bufio.Reader) (client netip.Addr, ok bool, err error) {
	isHeader, err := startsWithProxyHeader(br)
	if !isHeader {
		if isTimeout(err) {
			return netip.Addr{}, false, err
		}
		return netip.Addr{}, false, errNoHeader // the ClientHello read reports EOF
	}
	if err != nil {
		return netip.Addr{}, false, err
	}
	if unspec, err := skipV2ProxyUnspec(br); unspec || err != nil {
		return netip.Addr{}, false, err
	}
	h, err := proxyproto.Read(br)
	if err != nil {
		return netip.Addr{}, false, err
	}
	if h.Command.IsLocal() {
		return netip.Addr{}, false, nil
	}
	var ip net.IP
	switch a := h.SourceAddr.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	default: // UNKNOWN (v1) or a unix socket family
		return netip.Addr{}, false, nil
	}
	addr, valid := netip.AddrFromSlice(ip)
	if !valid {
		return netip.Addr{}, false, errBadProxyAddr
	}
	return addr.Unmap(), true, nil
}

// v2 header layout: signature (12), version and command (1), family and
// transport (1), address length (2, big endian).
const (
	v2HeaderLen  = 16
	v2CmdProxy   = 0x21 // version 2, command PROXY
	v2FamUnspec  = 0x00 // AF_UNSPEC, UNSPEC transport
	v2MaxAddrLen = connBufSize - v2HeaderLen
)

// skipV2ProxyUnspec consumes a v2 header with command PROXY and family
// UNSPEC (byte 0x00) and reports true. The specification (haproxy
// proxy-protocol.txt, 2.2) lets the receiver accept such a connection and
// use the real connection endpoints: the gateway does, exactly as for
// LOCAL, so the client is the trusted peer itself and is admitted only if
// a route admits that address (it never gains from the header). Any other
// stream is left unread for proxyproto.Read.
func skipV2ProxyUnspec(br *bufio.Reader) (bool, error) {
	b, err := br.Peek(v2HeaderLen)
	if err != nil || !bytes.Equal(b[:len(sigV2)], sigV2) || b[12] != v2CmdProxy || b[13] != v2FamUnspec {
		return false, nil // let proxyproto.Read judge (and report a short header)
	}
	n := int(b[14])<<8 | int(b[15])
	if n > v2MaxAddrLen {
		return false, errBadProxyAddr
	}
	if _, err := br.Discard(v2HeaderLen + n); err != nil {
		return false, err
	}
	return true, nil
}

// errBadProxyAddr is returned for a header whose source is not an address.
var errBadProxyAddr = errors.New("proxy header source is not an ip address")
