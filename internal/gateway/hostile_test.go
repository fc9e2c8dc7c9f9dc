package gateway

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hostile-traffic suite: short by default (CI), long with
// TAGWALL_HOSTILE_LONG=1 (scripts/hostile). Lines starting "HOSTILE" are
// the figures scripts/hostile copies into docs/bench/hostile.md.

func hostileLong() bool { return os.Getenv("TAGWALL_HOSTILE_LONG") == "1" }

// hostileGateway serves prod ([AzureCloud, 20.20.20.20]) with the audit
// lines going to a pipe nobody reads, trusting PROXY headers from
// 127.0.0.1 only. The returned pipe reader is held open (never read).
func hostileGateway(t *testing.T, cfg Config) (*testGateway, *upstream) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close(); pw.Close() })
	up := startUpstream(t, "prod")
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.Audit = pw
	gw := startGateway(t, cfg, Route{Name: "prod", SNI: prodSNI, Upstream: up.addr, Allow: list(t, "20.20.20.20", azureCloud(t)), Version: "1"})
	return gw, up
}

// admittedLoad runs admitted HTTPS requests (PROXY header 20.20.20.20)
// one after another on workers goroutines until stop, and returns each
// request's latency and the failures.
func admittedLoad(t *testing.T, addr string, workers int, stop <-chan struct{}) func() (lat []time.Duration, failed int) {
	var mu sync.Mutex
	var lats []time.Duration
	var fails int
	var wg sync.WaitGroup
	hdr := proxyHeader(t, 2, netip.MustParseAddrPort("20.20.20.20:40000"))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := func() error {
					c, err := net.DialTimeout("tcp", addr, 5*time.Second)
					if err != nil {
						return err
					}
					defer c.Close()
					if _, err := c.Write(hdr); err != nil {
						return err
					}
					_, err = httpsGet(c, prodSNI)
					return err
				}()
				mu.Lock()
				if err != nil {
					fails++
				} else {
					lats = append(lats, time.Since(start))
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return func() ([]time.Duration, int) {
		wg.Wait()
		return lats, fails
	}
}

// sampler records the peak goroutines and heap while it runs.
func sampler(stop <-chan struct{}) func() (goroutines int, heap uint64) {
	var peakG atomic.Int64
	var peakH atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			g := int64(runtime.NumGoroutine())
			if g > peakG.Load() {
				peakG.Store(g)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakH.Load() {
				peakH.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int, uint64) { <-done; return int(peakG.Load()), peakH.Load() }
}

// deniedFlood opens connections as fast as it can until stop: from the
// trusted peer with a PROXY header naming a client no route admits (a new
// address every 16 connections, so collapsing does not hide the volume),
// and from refused untrusted peers 127.0.1.x.
func deniedFlood(t *testing.T, addr string, workers int, stop <-chan struct{}, n *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	hello := clientHelloBytes(t, prodSNI)
	v2sig := proxyHeader(t, 2, netip.MustParseAddrPort("8.8.8.8:1"))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [1]byte
			d := net.Dialer{Timeout: 2 * time.Second}
			if w%2 == 1 { // a refused untrusted peer
				d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(w))}
			}
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
				if w%2 == 0 {
					client := netip.AddrFrom4([4]byte{8, byte(w), byte(i >> 8), byte(i)})
					hdr := slices.Clone(v2sig)
					a4 := client.As4()
					copy(hdr[16:20], a4[:]) // the v2 TCP4 source address
					c.Write(append(hdr, hello...))
				}
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				c.Read(buf[:])
				c.Close()
				n.Add(1)
			}
		}()
	}
	return &wg
}

// percentile returns the p-th percentile (0–100) of lat.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

func TestHostileDeniedFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile suite: not in -short")
	}
	dur := 2 * time.Second
	if hostileLong() {
		dur = 10 * time.Second
	}
	gw, _ := hostileGateway(t, Config{})
	stop := make(chan struct{})
	peaks := sampler(stop)
	var denied atomic.Int64
	flood := deniedFlood(t, gw.addr, 8, stop, &denied)
	results := admittedLoad(t, gw.addr, 2, stop)
	time.Sleep(dur)
	close(stop)
	flood.Wait()
	lat, failed := results()
	goroutines, heap := peaks()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	gw.Shutdown(ctx)
	shutdown := time.Since(start)
	ok := len(lat)
	success := float64(ok) / float64(max(1, ok+failed))
	dropped := metricValue(t, gw.metrics.auditDropped)
	collapsed := metricValue(t, gw.metrics.auditCollapsed)
	t.Logf("HOSTILE flood in-process %s: denied %d (%.0f/s), admitted %d ok %d failed (%.2f%%), p50 %s p99 %s, peak goroutines %d, peak heap %.1f MiB, audit dropped %.0f collapsed %.0f, shutdown %s",
		dur, denied.Load(), float64(denied.Load())/dur.Seconds(), ok, failed, 100*success,
		percentile(lat, 50).Round(time.Microsecond), percentile(lat, 99).Round(time.Microsecond),
		goroutines, float64(heap)/(1<<20), dropped, collapsed, shutdown.Round(time.Millisecond))
	if goroutines > 10_000 {
		t.Errorf("peak goroutines %d, want ≤ 10000", goroutines)
	}
	if heap > 256<<20 {
		t.Errorf("peak heap %d MiB, want ≤ 256", heap>>20)
	}
	if ok == 0 || success < 0.99 {
		t.Errorf("admitted success %.2f%% (%d ok, %d failed), want ≥ 99%%", 100*success, ok, failed)
	}
	if shutdown > 5*time.Second {
		t.Errorf("Shutdown took %s, want ≤ 5 s", shutdown)
	}
	if dropped == 0 && collapsed == 0 {
		t.Error("the stalled audit pipe neither dropped nor collapsed a line: the flood did not reach the queue bound")
	}
}

func TestHostileIdleSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile suite: not in -short")
	}
	total := 2_000
	if hostileLong() {
		total = 20_000
	}
	const maxUndecided = 256
	gw, _ := hostileGateway(t, Config{MaxUndecided: maxUndecided, MaxConns: 4096, ClientHelloTimeout: 10 * time.Second})
	stop := make(chan struct{})
	peaks := sampler(stop)
	results := admittedLoad(t, gw.addr, 2, stop)
	// Idle sockets: half from refused untrusted peers (127.0.2.x), half
	// from the trusted peer sending nothing. The client keeps at most
	// holdMax open at once (its own fd limit), closing the oldest.
	const holdMax = 4_000
	var held []net.Conn
	opened, refusedAtDial := 0, 0
	start := time.Now()
	for i := range total {
		d := net.Dialer{Timeout: 2 * time.Second}
		if i%2 == 1 {
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(1+i%200))}
		}
		c, err := d.Dial("tcp", gw.addr)
		if err != nil {
			refusedAtDial++
			continue
		}
		opened++
		held = append(held, c)
		if len(held) > holdMax {
			held[0].Close()
			held = held[1:]
		}
	}
	openDur := time.Since(start)
	time.Sleep(500 * time.Millisecond) // real clients keep coming while the sockets sit
	close(stop)
	lat, failed := results()
	goroutines, heap := peaks()
	undecided := gw.front.undecidedCount()
	evicted, refused := deniedCount(t, gw, ReasonEvicted), deniedCount(t, gw, ReasonNotAuthorized)
	for _, c := range held {
		c.Close()
	}
	ok := len(lat)
	success := float64(ok) / float64(max(1, ok+failed))
	p99 := percentile(lat, 99)
	t.Logf("HOSTILE idle in-process: %d idle sockets in %s (%d reset while dialing), max undecided %d (at the end %d), evicted %.0f, refused at accept %.0f, admitted %d ok %d failed (%.2f%%), p50 %s p99 %s, peak goroutines %d, peak heap %.1f MiB",
		total, openDur.Round(time.Millisecond), refusedAtDial, maxUndecided, undecided, evicted, refused,
		ok, failed, 100*success, percentile(lat, 50).Round(time.Microsecond), p99.Round(time.Microsecond), goroutines, float64(heap)/(1<<20))
	if undecided > maxUndecided {
		t.Errorf("%d undecided connections, want ≤ %d", undecided, maxUndecided)
	}
	if evicted == 0 {
		t.Error("no eviction: MaxUndecided was not reached")
	}
	if ok == 0 || success < 0.99 {
		t.Errorf("admitted success %.2f%% (%d ok, %d failed), want ≥ 99%%", 100*success, ok, failed)
	}
	if p99 > 500*time.Millisecond {
		t.Errorf("admitted p99 %s, want ≤ 500 ms", p99)
	}
}
