package gateway

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Benchmarks run on loopback only and are bounded by -benchtime; see
// docs/bench/gateway.md for the figures and the command.

// benchUpstream accepts connections, reads want bytes, answers one byte
// and closes: one "request" per connection.
func benchUpstream(tb testing.TB, want int) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, want)
				if _, err := io.ReadFull(c, buf); err == nil {
					c.Write([]byte{1})
				}
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// plainForwarder is the reference: a Go TCP forwarder without any check,
// copying between raw TCP connections as the gateway does.
func plainForwarder(tb testing.TB, upstream string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{})
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); close(done) }()
				io.Copy(u, c)
				u.(*net.TCPConn).CloseWrite()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

// benchGateway starts a gateway with one route admitting 20.20.20.0/24
// and the real AzureCloud tag.
func benchGateway(tb testing.TB, upstream string) string {
	tb.Helper()
	// As `tagwall gateway` runs it: audit lines to a file through the
	// buffered encoder, a listener without per-connection keepalive.
	g, err := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Audit: benchAuditFile(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	g.SetRoutes([]Route{{Name: "prod", SNI: prodSNI, Upstream: upstream, Allow: list(tb, "20.20.20.0/24", azureCloud(tb)), Version: "1"}})
	ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go g.Serve(ln)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		g.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// processCPU is the user + system CPU time of the whole benchmark process
// (client, gateway and upstream), in nanoseconds. Divided by the
// connections it is far steadier than a rate on a shared machine, and the
// client and upstream parts are the same for every gateway version.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchAuditFile is a file in the benchmark's temporary directory for the
// audit lines, as the command writes them to stderr redirected to a file.
func benchAuditFile(tb testing.TB) *os.File {
	tb.Helper()
	f, err := os.Create(filepath.Join(tb.TempDir(), "audit.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// oneRequest dials addr, writes pre, and waits for the one-byte answer.
func oneRequest(tb testing.TB, addr string, pre []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pre); err != nil {
		tb.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		tb.Fatal(err)
	}
}

// oneDenied dials addr, writes pre, and waits for the gateway to close
// the connection without sending anything.
func oneDenied(tb testing.TB, addr string, pre []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pre); err != nil {
		tb.Fatal(err)
	}
	var b [1]byte
	if n, _ := c.Read(b[:]); n != 0 {
		tb.Fatal("denied connection received bytes")
	}
}

func BenchmarkConnRate(b *testing.B) {
	hello := clientHelloBytes(b, prodSNI)
	header := proxyHeader(b, 2, netip.MustParseAddrPort("20.20.20.20:1000"))
	up := benchUpstream(b, len(hello))
	gw := benchGateway(b, up)
	cases := []struct {
		name string
		addr string
		pre  []byte
		one  func(testing.TB, string, []byte)
	}{
		{"tagwall", gw, append(append([]byte{}, header...), hello...), oneRequest},
		{"plainforward", plainForwarder(b, up), hello, oneRequest},
		// Denied: 8.8.8.8, reset by the gateway, one audit line each.
		{"tagwall-denied", gw, append(proxyHeader(b, 2, netip.MustParseAddrPort("8.8.8.8:1000")), hello...), oneDenied},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(2)
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					tc.one(b, tc.addr, tc.pre)
				}
			})
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conn/s")
		})
	}
}

// BenchmarkConnRateUnderDeniedFlood measures the allowed-connection rate
// with no flood and while a paced flood of denied connections (8.8.8.8,
// reset by the gateway) runs against the same gateway. The flood client
// shares the machine's CPUs with the gateway and the measured clients.
func BenchmarkConnRateUnderDeniedFlood(b *testing.B) {
	hello := clientHelloBytes(b, prodSNI)
	up := benchUpstream(b, len(hello))
	gw := benchGateway(b, up)
	allowed := append(proxyHeader(b, 2, netip.MustParseAddrPort("20.20.20.20:1000")), hello...)
	denied := append(proxyHeader(b, 2, netip.MustParseAddrPort("8.8.8.8:1000")), hello...)
	for _, rate := range []int{0, 1000, 3000} {
		b.Run(fmt.Sprintf("flood=%d/s", rate), func(b *testing.B) {
			b.ReportAllocs()
			stop := make(chan struct{})
			var floods atomic.Int64
			var wg sync.WaitGroup
			if rate > 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					flood(gw, denied, rate, stop, &floods)
				}()
			}
			b.SetParallelism(2)
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					oneRequest(b, gw, allowed)
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			el := b.Elapsed().Seconds()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(b.N)/el, "conn/s")
			b.ReportMetric(float64(floods.Load())/el, "denied/s")
		})
	}
}

// flood opens denied connections at about rate per second until stop.
func flood(addr string, pre []byte, rate int, stop <-chan struct{}, n *atomic.Int64) {
	const batch = 10 // connections per tick, so the ticker stays coarse
	t := time.NewTicker(time.Second * batch / time.Duration(rate))
	defer t.Stop()
	var buf [1]byte
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for range batch {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			c.Write(pre)
			c.Read(buf[:]) // the gateway resets the connection
			c.Close()
			n.Add(1)
		}
	}
}

// benchSink accepts one connection at a time and counts the bytes it
// reads, reporting each connection's total on the returned channel.
func benchSink(tb testing.TB, skip int) (string, <-chan int64) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	totals := make(chan int64, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				if skip > 0 {
					io.ReadFull(c, make([]byte, skip))
				}
				n, _ := io.Copy(io.Discard, c.(*net.TCPConn))
				c.Close()
				totals <- n
			}()
		}
	}()
	return ln.Addr().String(), totals
}

// BenchmarkThroughput is one stream of 256 KiB writes into a sink, client
// → sink (direct) or client → gateway → sink, all in this process. Beside
// the rate it reports the whole process's resource use from getrusage, per
// 256 KiB write (op): the CPU time (user + system), the system share of
// it, the context switches (voluntary + involuntary), and cpus, CPU time
// over elapsed time (how many of the cores the stream kept busy). What the
// second loopback hop costs the kernel shows as the difference.
//
//	go test ./internal/gateway -run '^$' -bench '^BenchmarkThroughput$' -benchtime 20000x -count 3
func BenchmarkThroughput(b *testing.B) {
	const chunk = 256 << 10
	hello := clientHelloBytes(b, prodSNI)
	data := make([]byte, chunk)
	run := func(b *testing.B, addr string, pre []byte, totals <-chan int64) {
		b.ReportAllocs()
		b.SetBytes(chunk)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if len(pre) > 0 {
			if _, err := c.Write(pre); err != nil {
				b.Fatal(err)
			}
		}
		r0, t0 := rusage(b), time.Now()
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		c.(*net.TCPConn).CloseWrite()
		n := <-totals
		b.StopTimer()
		r1, el := rusage(b), time.Since(t0)
		if n != int64(b.N)*chunk {
			b.Fatalf("sink read %d bytes, want %d", n, int64(b.N)*chunk)
		}
		user := r1.Utime.Nano() - r0.Utime.Nano()
		sys := r1.Stime.Nano() - r0.Stime.Nano()
		csw := (r1.Nvcsw + r1.Nivcsw) - (r0.Nvcsw + r0.Nivcsw)
		b.ReportMetric(float64(user+sys)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(sys)/float64(b.N), "sys-ns/op")
		b.ReportMetric(float64(csw)/float64(b.N), "ctxsw/op")
		b.ReportMetric(float64(user+sys)/float64(el.Nanoseconds()), "cpus")
	}
	b.Run("direct", func(b *testing.B) {
		addr, totals := benchSink(b, 0)
		run(b, addr, nil, totals)
	})
	b.Run("tagwall", func(b *testing.B) {
		addr, totals := benchSink(b, len(hello))
		gw := benchGateway(b, addr)
		run(b, gw, append(proxyHeader(b, 2, netip.MustParseAddrPort("20.20.20.20:1000")), hello...), totals)
	})
}

func rusage(tb testing.TB) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru
}
