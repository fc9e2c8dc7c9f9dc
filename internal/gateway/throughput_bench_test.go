package gateway

import (
	"math"
	"net"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkThroughputInterleaved streams roundBytes through the gateway
// and through plainForwarder (a Go io.Copy forwarder without any check)
// in alternating rounds, a new connection each round, and reports each
// one's fastest round in MiB/s and their ratio (issue 18: the gateway
// ≥ 0.95× the forwarder in the same run). The fastest of many short,
// interleaved rounds compares the two under the same load on a shared
// machine, as BenchmarkContainsInterleaved does for the allowlist.
func BenchmarkThroughputInterleaved(b *testing.B) {
	const roundBytes, chunk = 64 << 20, 256 << 10
	hello := clientHelloBytes(b, prodSNI)
	data := make([]byte, chunk)
	round := func(addr string, pre []byte, totals <-chan int64) float64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := c.Write(pre); err != nil {
			b.Fatal(err)
		}
		for sent := 0; sent < roundBytes; sent += chunk {
			if _, err := c.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		c.(*net.TCPConn).CloseWrite()
		if n := <-totals; n != roundBytes {
			b.Fatalf("sink read %d bytes, want %d", n, roundBytes)
		}
		return roundBytes / (1 << 20) / time.Since(start).Seconds()
	}
	gwSink, gwTotals := benchSink(b, len(hello))
	gw := benchGateway(b, gwSink)
	gwPre := append(proxyHeader(b, 2, netip.MustParseAddrPort("20.20.20.20:1000")), hello...)
	fwSink, fwTotals := benchSink(b, len(hello))
	fw := plainForwarder(b, fwSink)
	b.ReportAllocs()
	bestGw, bestFw := 0.0, 0.0
	for b.Loop() {
		bestGw = math.Max(bestGw, round(gw, gwPre, gwTotals))
		bestFw = math.Max(bestFw, round(fw, hello, fwTotals))
	}
	b.ReportMetric(bestGw, "tagwall-MiB/s")
	b.ReportMetric(bestFw, "forwarder-MiB/s")
	b.ReportMetric(bestGw/bestFw, "tagwall/forwarder")
}
