package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// proxyV2Sig is the PROXY protocol v2 signature.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyV2 encodes a PROXY protocol v2 PROXY/TCP header from src to dst.
// Both must be the same family once unmapped.
func proxyV2(src, dst netip.AddrPort) ([]byte, error) {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if s.Is4() != d.Is4() {
		return nil, fmt.Errorf("encode proxy header %s -> %s: address families differ", src, dst)
	}
	fam, n := byte(0x11), 12 // TCP over IPv4
	if s.Is6() {
		fam, n = 0x21, 36 // TCP over IPv6
	}
	h := make([]byte, 0, 16+n)
	h = append(h, proxyV2Sig...)
	h = append(h, 0x21, fam) // version 2, PROXY command
	h = binary.BigEndian.AppendUint16(h, uint16(n))
	h = append(h, s.AsSlice()...)
	h = append(h, d.AsSlice()...)
	h = binary.BigEndian.AppendUint16(h, src.Port())
	h = binary.BigEndian.AppendUint16(h, dst.Port())
	return h, nil
}

// headerFor returns the PROXY v2 header announcing client a (port from
// seq) connecting to a public front-door address of the same family.
func headerFor(a netip.Addr, seq int) []byte {
	dst := netip.MustParseAddrPort("198.51.100.10:443")
	if a.Is6() {
		dst = netip.MustParseAddrPort("[2001:db8::10]:443")
	}
	h, err := proxyV2(netip.AddrPortFrom(a, uint16(1024+seq%60000)), dst)
	if err != nil {
		panic(err) // families match by construction
	}
	return h
}

// captureConn records what a TLS client writes and fails every read, so a
// handshake stops right after its ClientHello.
type captureConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *captureConn) Write(b []byte) (int, error) { return c.buf.Write(b) }
func (c *captureConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *captureConn) Close() error                { return nil }
func (c *captureConn) SetDeadline(time.Time) error { return nil }

// clientHello returns the bytes of a TLS ClientHello for sni, as the Go
// client sends it.
func clientHello(sni string) ([]byte, error) {
	c := &captureConn{}
	tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	tc.Handshake() // fails at the first read: the hello is written by then
	if c.buf.Len() < 5 || c.buf.Bytes()[0] != 0x16 {
		return nil, fmt.Errorf("capture client hello for %q: got %d bytes", sni, c.buf.Len())
	}
	return c.buf.Bytes(), nil
}

// prefixConn writes pre in front of the first Write, so the PROXY header
// and the ClientHello leave in one segment as a load balancer sends them.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Write(b []byte) (int, error) {
	if c.pre == nil {
		return c.Conn.Write(b)
	}
	buf := append(c.pre[:len(c.pre):len(c.pre)], b...)
	c.pre = nil
	n, err := c.Conn.Write(buf)
	return max(0, n-(len(buf)-len(b))), err
}

// client drives one contender's listeners.
type client struct {
	roots   *x509.CertPool
	sni     string
	timeout time.Duration
	request []byte
}

// errLeak is returned when a denied connection received bytes: the proxy
// let it through.
var errLeak = errors.New("denied connection received data from the upstream")

// allowed dials addr with a PROXY header, completes a full TLS handshake
// (no resumption), sends one small request and reads the whole answer. It
// returns the time from dial to the first response byte.
func (c *client) allowed(addr string, header []byte) (time.Duration, error) {
	start := time.Now()
	raw, err := net.DialTimeout("tcp", addr, c.timeout)
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	raw.SetDeadline(start.Add(c.timeout))
	tc := tls.Client(&prefixConn{Conn: raw, pre: header}, &tls.Config{
		ServerName: c.sni, RootCAs: c.roots, MinVersion: tls.VersionTLS13,
		ClientSessionCache: nil,
	})
	if err := tc.Handshake(); err != nil {
		return 0, fmt.Errorf("handshake via %s: %w", addr, err)
	}
	if _, err := tc.Write(c.request); err != nil {
		return 0, fmt.Errorf("request via %s: %w", addr, err)
	}
	var first [1]byte
	if _, err := io.ReadFull(tc, first[:]); err != nil {
		return 0, fmt.Errorf("response via %s: %w", addr, err)
	}
	ttfb := time.Since(start)
	if _, err := io.Copy(io.Discard, tc); err != nil {
		return 0, fmt.Errorf("response via %s: %w", addr, err)
	}
	return ttfb, nil
}

// denied dials addr, sends a PROXY header with a denied address and a
// ClientHello in one write, and waits for the proxy to close. Any byte
// received is errLeak.
func (c *client) denied(addr string, pre []byte) error {
	raw, err := net.DialTimeout("tcp", addr, c.timeout)
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(c.timeout))
	if _, err := raw.Write(pre); err != nil {
		return nil // closed before we wrote: as good as a refusal
	}
	var b [512]byte
	n, err := raw.Read(b[:])
	if n > 0 {
		return errLeak
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("denied connection via %s: not closed within %s", addr, c.timeout)
	}
	return nil
}

// bulk opens one allowed connection to the bulk listener addr, sends pre
// (PROXY header + ClientHello) and reads the upstream's stream for d. It
// returns the bytes per second received.
func bulk(addr string, pre []byte, d time.Duration) (float64, error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	if _, err := raw.Write(pre); err != nil {
		return 0, fmt.Errorf("bulk via %s: %w", addr, err)
	}
	buf := make([]byte, 1<<20)
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := raw.Read(buf) // the first bytes: the path is up
	if err != nil {
		return 0, fmt.Errorf("bulk via %s: first read: %w", addr, err)
	}
	_ = n
	start := time.Now()
	raw.SetReadDeadline(start.Add(d))
	var total int64
	for {
		n, err := raw.Read(buf)
		total += int64(n)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			return 0, fmt.Errorf("bulk via %s after %d bytes: %w", addr, total, err)
		}
	}
	return float64(total) / time.Since(start).Seconds(), nil
}
