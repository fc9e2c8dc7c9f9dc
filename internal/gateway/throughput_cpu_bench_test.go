package gateway

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// BenchmarkThroughputCPU is BenchmarkThroughput (one stream of 256 KiB
// writes into a sink, client → sink or client → gateway → sink, all in this
// process) with the whole process's resource use from getrusage: per
// 256 KiB write (op), the CPU time (user + system), the system share of it,
// and the context switches (voluntary + involuntary); cpus is CPU time over
// elapsed time, how many of the cores the stream kept busy. What the second
// loopback hop costs the kernel shows as the difference between the two.
//
//	go test ./internal/gateway -run '^$' -bench ThroughputCPU -benchtime 20000x -count 3
func BenchmarkThroughputCPU(b *testing.B) {
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
