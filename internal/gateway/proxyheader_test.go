package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"

	"github.com/pires/go-proxyproto"
)

// proxyHeader builds a PROXY header of version v carrying src.
func proxyHeader(tb testing.TB, v byte, src netip.AddrPort) []byte {
	tb.Helper()
	proto := proxyproto.TCPv4
	dst := netip.MustParseAddrPort("127.0.0.1:443")
	if src.Addr().Is6() && !src.Addr().Is4In6() {
		proto = proxyproto.TCPv6
		dst = netip.MustParseAddrPort("[::1]:443")
	}
	h := &proxyproto.Header{
		Version:           v,
		Command:           proxyproto.PROXY,
		TransportProtocol: proto,
		SourceAddr:        net.TCPAddrFromAddrPort(src),
		DestinationAddr:   net.TCPAddrFromAddrPort(dst),
	}
	b, err := h.Format()
	if err != nil {
		tb.Fatalf("format proxy header for %s: %v", src, err)
	}
	return b
}

func TestReadProxyHeader(t *testing.T) {
	tls := []byte{0x16, 3, 1, 0, 1, 1}
	local := append(append([]byte{}, proxyproto.SIGV2...), 0x20, 0x00, 0, 0)
	tests := []struct {
		name    string
		data    []byte
		want    string // client address; "" = use the peer
		wantErr error  // errNoHeader, or any error when errAny
	}{
		{name: "v1 v4", data: proxyHeader(t, 1, netip.MustParseAddrPort("20.20.20.20:5000")), want: "20.20.20.20"},
		{name: "v2 v4", data: proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:5000")), want: "20.20.20.20"},
		{name: "v2 v6", data: proxyHeader(t, 2, netip.MustParseAddrPort("[2603:1000::1]:5000")), want: "2603:1000::1"},
		{name: "v1 v6", data: []byte("PROXY TCP6 2603:1000::1 ::1 5000 443\r\n"), want: "2603:1000::1"},
		{name: "v1 mapped v6 unmapped", data: []byte("PROXY TCP6 ::ffff:20.20.20.20 ::1 5000 443\r\n"), want: "20.20.20.20"},
		{name: "v1 unknown uses peer", data: []byte("PROXY UNKNOWN\r\n"), want: ""},
		{name: "v2 local uses peer", data: local, want: ""},
		{name: "v2 proxy unspec uses peer", data: append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x00, 0, 0), want: ""},
		{name: "v2 proxy unspec with a block uses peer", data: append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x00, 0, 4, 1, 2, 3, 4), want: ""},
		{name: "v1 tcp6 mapped source and destination", data: []byte("PROXY TCP6 ::ffff:20.20.20.20 ::ffff:127.0.0.1 5000 443\r\n"), want: "20.20.20.20"},
		{name: "v2 unspec family with a transport uses peer", data: append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x01, 0, 0), want: ""},
		{name: "v1 tcp4 with a v6 source is invalid", data: []byte("PROXY TCP4 ::ffff:20.20.20.20 127.0.0.1 5000 443\r\n"), wantErr: errAny},
		{name: "no header", data: tls, wantErr: errNoHeader},
		{name: "empty stream", data: nil, wantErr: errNoHeader},
		{name: "v1 garbage", data: []byte("PROXY TCP4 nonsense\r\n"), wantErr: errAny},
		{name: "v1 no crlf", data: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2"), wantErr: errAny},
		{name: "v2 bad command", data: append(append([]byte{}, proxyproto.SIGV2...), 0x2f, 0x11, 0, 12), wantErr: errAny},
		{name: "v2 short", data: proxyproto.SIGV2[:8], wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(bytes.NewReader(append(append([]byte{}, tt.data...), tls...)), connBufSize)
			if tt.wantErr != nil {
				br = bufio.NewReaderSize(bytes.NewReader(tt.data), connBufSize)
			}
			addr, ok, err := readProxyHeader(br)
			switch {
			case tt.wantErr == errAny:
				if err == nil {
					t.Fatalf("readProxyHeader = %v, want an error", addr)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("readProxyHeader error = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("readProxyHeader: %v", err)
			}
			got := ""
			if ok {
				got = addr.String()
			}
			if got != tt.want {
				t.Errorf("client = %q, want %q", got, tt.want)
			}
			rest, _ := br.Peek(br.Buffered())
			if !bytes.Equal(rest, tls) {
				t.Errorf("after the header the stream holds %q, want the TLS bytes", rest)
			}
		})
	}
}

// errAny in a test table accepts any error.
var errAny = errors.New("any error")

func FuzzProxyHeader(f *testing.F) {
	f.Add(proxyHeader(f, 1, netip.MustParseAddrPort("20.20.20.20:1")))                                          // v1 v4
	f.Add(proxyHeader(f, 2, netip.MustParseAddrPort("20.20.20.20:1")))                                          // v2 v4
	f.Add(proxyHeader(f, 2, netip.MustParseAddrPort("[2001:db8::1]:1")))                                        // v2 v6
	f.Add([]byte("PROXY UNKNOWN\r\n"))                                                                          // v1 unknown
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n\x16\x03\x01"))                                             // v1 then TLS
	f.Add(append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x11, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2)) // v2 hand-built
	f.Add([]byte{0x16, 3, 1})                                                                                   // TLS, no header
	f.Add([]byte("PROX"))                                                                                       // partial signature
	f.Add(append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x00, 0, 0, 0x16, 3, 1))                          // v2 PROXY+UNSPEC: use the peer
	f.Add(append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x00, 0xff, 0xff))                                // v2 PROXY+UNSPEC, block longer than the stream
	f.Add([]byte("PROXY TCP6 ::ffff:20.20.20.20 ::1 5000 443\r\n"))                                             // v1 TCP6 mapped: unmapped
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), connBufSize)
		isHeader, _ := startsWithProxyHeader(bufio.NewReaderSize(bytes.NewReader(data), connBufSize))
		addr, ok, err := readProxyHeader(br)
		if !isHeader && !errors.Is(err, errNoHeader) {
			t.Fatalf("no signature, but readProxyHeader = %v, %v, %v", addr, ok, err)
		}
		if errors.Is(err, errNoHeader) {
			if rest, _ := io.ReadAll(br); !bytes.Equal(rest, data) {
				t.Fatalf("no header, but the stream changed: %q", rest)
			}
		}
		if err == nil && ok {
			if !addr.IsValid() || addr.Is4In6() {
				t.Fatalf("client %v is invalid or still mapped", addr)
			}
			// The library agrees with itself on a re-encoding of the address.
			again, ok2, err2 := readProxyHeader(bufio.NewReader(bytes.NewReader(proxyHeader(t, 2, netip.AddrPortFrom(addr, 1)))))
			if err2 != nil || !ok2 || again != addr {
				t.Fatalf("round trip of %v = %v, %v, %v", addr, again, ok2, err2)
			}
		}
	})
}
