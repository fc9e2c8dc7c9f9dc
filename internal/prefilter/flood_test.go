package prefilter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/gateway"
)

// The refused-flood measurement (issue 18): direct clients (no PROXY
// header), one admitted address and a flood from a refused one, against
// the in-process gateway without and with the prefilter (Reject), and
// HAProxy refusing at connection time (`tcp-request connection reject`),
// alternating in rounds. It reports refused connections per second and
// the proxy's CPU per refused connection. It is a measurement, not a
// regular test: TAGWALL_PREFILTER_FLOOD=1 runs it (as root).
const (
	floodEnv       = "TAGWALL_PREFILTER_FLOOD"
	floodTargetEnv = "TAGWALL_FLOOD_TARGET"
)

func TestRefusedFlood(t *testing.T) {
	if os.Getenv(floodEnv) == "" && os.Getenv(inNetnsEnv) == "" {
		t.Skip("measurement: set " + floodEnv + "=1 to run it (as root; in a network namespace of its own)")
	}
	if !inNetns(t, "TestRefusedFlood") {
		return
	}
	dur, rounds := 2*time.Second, 3
	if v, err := time.ParseDuration(os.Getenv("TAGWALL_FLOOD_DURATION")); err == nil {
		dur = v
	}
	admitted := append(pfx("127.0.0.2/32"), randomPrefixes(200)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	plain := startGateway(t, admitted)
	filtered := startGateway(t, admitted)
	f, err := New(Config{Port: filtered.port, Action: Reject}, admitted)
	skipIfNoNftables(t, err)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer f.Close()
	go f.Follow(ctx, func() <-chan struct{} { return nil }, func() []*allowlist.List { return []*allowlist.List{filtered.list} }, 0) // never changes
	type contender struct {
		name string
		addr string
		cpu  func() time.Duration
	}
	self := func() time.Duration { return selfCPU(t) }
	cs := []contender{
		{"tagwall", plain.addr, self},
		{"tagwall + prefilter", filtered.addr, self},
	}
	if hp := startHAProxy(t, admitted); hp != nil {
		cs = append(cs, contender{"HAProxy", hp.addr, hp.cpu})
	}
	type result struct {
		rate, perConn []float64
	}
	results := map[string]*result{}
	for r := range rounds {
		for i := range cs {
			c := cs[(i+r)%len(cs)]
			before := c.cpu()
			n := floodFrom(t, c.addr, dur)
			used := c.cpu() - before
			res := results[c.name]
			if res == nil {
				res = &result{}
				results[c.name] = res
			}
			res.rate = append(res.rate, float64(n)/dur.Seconds())
			res.perConn = append(res.perConn, float64(used.Microseconds())/float64(max(n, 1)))
			t.Logf("round %d %-20s refused %7.0f/s  proxy CPU %6.2f µs/refused (%v over %d)", r+1, c.name,
				float64(n)/dur.Seconds(), float64(used.Microseconds())/float64(max(n, 1)), used, n)
		}
	}
	for _, c := range cs {
		res := results[c.name]
		t.Logf("RESULT %-20s refused/s %s  CPU µs/refused %s", c.name, spread(res.rate), spread(res.perConn))
	}
}

// spread formats the median and range of xs.
func spread(xs []float64) string {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s[len(s)/2], s[0], s[len(s)-1])
}

type testGateway struct {
	addr string
	port uint16
	list *allowlist.List
}

// startGateway serves a gateway whose one route admits prefixes, with
// audit lines going to a file as in production.
func startGateway(t *testing.T, prefixes []netip.Prefix) *testGateway {
	t.Helper()
	audit, err := os.Create(filepath.Join(t.TempDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gateway.Config{Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	var b allowlist.Builder
	for _, p := range prefixes {
		b.AddPrefix(p, p.String())
	}
	list, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	gw.SetRoutes([]gateway.Route{{Name: "default", Upstream: "127.0.0.1:1", Allow: list}})
	ln, err := gateway.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		gw.Shutdown(ctx)
	})
	a := ln.Addr().(*net.TCPAddr)
	return &testGateway{addr: a.String(), port: uint16(a.Port), list: list}
}

type haproxy struct {
	addr string
	cpu  func() time.Duration
}

// startHAProxy runs haproxy (when installed) refusing at connection time
// every source outside prefixes; nil when it is not installed.
func startHAProxy(t *testing.T, prefixes []netip.Prefix) *haproxy {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Log("haproxy not installed: measured without it")
		return nil
	}
	dir := t.TempDir()
	var lst strings.Builder
	for _, p := range prefixes {
		fmt.Fprintln(&lst, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "allow.lst"), []byte(lst.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := fmt.Sprintf(`global
  nbthread 2
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend door
  bind 127.0.0.1:%d
  tcp-request connection reject if !{ src -f %s/allow.lst }
  default_backend up
backend up
  server s1 127.0.0.1:1
`, port, dir)
	if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", filepath.Join(dir, "haproxy.cfg"))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := dialFrom("127.0.0.2", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, &net.Dialer{}); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("haproxy did not start listening")
		}
	}
	pid := cmd.Process.Pid
	return &haproxy{addr: addr, cpu: func() time.Duration { return procCPU(t, pid) }}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// selfCPU is this process's user + system time.
func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is pid's user + system time (all threads), from /proc.
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
}

// floodFrom runs the flood client in a child process (same namespace) for
// d and returns the connections it saw refused.
func floodFrom(t *testing.T, addr string, d time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFloodClient$", "-test.count", "1")
	cmd.Env = append(os.Environ(), floodTargetEnv+"="+addr+","+d.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("flood client: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "refused "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("flood client printed no count:\n%s", out)
	return 0
}

// TestFloodClient is the flood client, run by floodFrom: 16 goroutines
// connect from 127.0.0.3 until the time is up, and count the connections
// refused (reset or closed before any byte, or refused outright).
func TestFloodClient(t *testing.T) {
	target, ok := os.LookupEnv(floodTargetEnv)
	if !ok {
		t.Skip("run by TestRefusedFlood")
	}
	addr, ds, _ := strings.Cut(target, ",")
	d, err := time.ParseDuration(ds)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var refused, other atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialer := &net.Dialer{Timeout: time.Second}
			buf := make([]byte, 1)
			for time.Now().Before(deadline) {
				c, err := dialFrom("127.0.0.3", dst, dialer)
				if err != nil {
					if errors.Is(err, syscall.ECONNREFUSED) {
						refused.Add(1)
					} else {
						other.Add(1)
					}
					continue
				}
				c.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := c.Read(buf); err != nil && !isTimeout(err) {
					refused.Add(1)
				} else {
					other.Add(1)
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("refused %d\nother %d\n", refused.Load(), other.Load())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// randomPrefixes returns n random global IPv4 /16–/32 prefixes (fixed seed).
func randomPrefixes(n int) []netip.Prefix {
	r := rand.New(rand.NewPCG(18, 18))
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		if a.IsPrivate() || a.IsLoopback() {
			continue
		}
		p, _ := a.Prefix(16 + r.IntN(17))
		out = append(out, p)
	}
	return out
}
