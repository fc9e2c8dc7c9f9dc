package main

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const sni = "api.prod.example.test"

// proxyV2 encodes a PROXY v2 PROXY/TCP4 header from src.
func proxyV2(src netip.Addr, port uint16) []byte {
	h := []byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c")
	a := src.As4()
	h = append(h, a[:]...)
	h = append(h, 198, 51, 100, 10)
	h = binary.BigEndian.AppendUint16(h, port)
	return binary.BigEndian.AppendUint16(h, 443)
}

// helloBytes is a real ClientHello for sni, captured from crypto/tls.
func helloBytes() []byte {
	c := &captureConn{}
	tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true}).Handshake()
	return c.buf
}

type captureConn struct {
	net.Conn
	buf []byte
}

func (c *captureConn) Write(b []byte) (int, error)      { c.buf = append(c.buf, b...); return len(b), nil }
func (c *captureConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *captureConn) Close() error                     { return nil }
func (c *captureConn) SetDeadline(time.Time) error      { return nil }
func (c *captureConn) SetReadDeadline(time.Time) error  { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }

// admitted runs one HTTPS request as 20.20.20.20 (PROXY v2 from
// 127.0.0.1) and returns its latency.
func admitted(addr string) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(proxyV2(netip.MustParseAddr("20.20.20.20"), 40000)); err != nil {
		return 0, err
	}
	tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+sni+"\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	b, err := io.ReadAll(tc)
	if err != nil && len(b) == 0 {
		return 0, err
	}
	if !slices.Contains([]string{"ok\n"}, string(b[max(0, len(b)-3):])) {
		return 0, io.ErrUnexpectedEOF
	}
	return time.Since(start), nil
}

// admittedLoad runs admitted requests on workers goroutines until stop.
type admittedLoad struct {
	mu    sync.Mutex
	lat   []time.Duration
	fails int
	wg    sync.WaitGroup
}

func startAdmitted(addr string, workers int, stop <-chan struct{}) *admittedLoad {
	l := &admittedLoad{}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := admitted(addr)
				l.mu.Lock()
				if err != nil {
					l.fails++
				} else {
					l.lat = append(l.lat, d)
				}
				l.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return l
}

// result waits for the workers and returns successes, failures, p50, p99.
func (l *admittedLoad) result() (ok, failed int, p50, p99 time.Duration) {
	l.wg.Wait()
	s := slices.Clone(l.lat)
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		if len(s) == 0 {
			return 0
		}
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}
	return len(s), l.fails, pct(0.50), pct(0.99)
}

// flood opens denied connections as fast as it can until stop: even
// workers from the trusted peer with a PROXY header naming a new client
// each time (8.x.y.z, outside every list) and a ClientHello; odd workers
// from refused untrusted peers 127.0.1.w sending a ClientHello.
func flood(addr string, workers int, stop <-chan struct{}, n *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	hello := helloBytes()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 2 * time.Second}
			if w%2 == 1 {
				d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+w))}
			}
			var buf [1]byte
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					continue
				}
				var pre []byte
				if w%2 == 0 {
					pre = proxyV2(netip.AddrFrom4([4]byte{8, byte(w), byte(i >> 8), byte(i)}), uint16(i))
				}
				c.Write(append(pre, hello...))
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				c.Read(buf[:])
				c.Close()
				n.Add(1)
			}
		}()
	}
	return &wg
}

// idle opens total sockets that send nothing, half from refused untrusted
// peers 127.0.2.x and half from the trusted peer, keeping at most hold of
// them open at once (oldest closed first), for at most limit. It returns
// the sockets still held, how many were opened and how many dials failed.
func idle(addr string, total, hold int, limit time.Duration) (held []net.Conn, opened, dialErrs int) {
	deadline := time.Now().Add(limit)
	for i := range total {
		if time.Now().After(deadline) {
			break
		}
		d := net.Dialer{Timeout: time.Second}
		if i%2 == 1 {
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(1+i%200))}
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			dialErrs++
			continue
		}
		opened++
		held = append(held, c)
		if len(held) > hold {
			held[0].Close()
			held = held[1:]
		}
	}
	return held, opened, dialErrs
}
