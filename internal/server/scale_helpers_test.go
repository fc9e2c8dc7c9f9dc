package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/boltstore"
)

// scaleName is the name of seeded cluster i.
func scaleName(i int) string { return fmt.Sprintf("s%06d", i) }

// scaleRanges is seeded cluster i's list: even clusters [AzureCloud,
// 20.20.20.20], odd ones five /24s of their own (as the issue measured).
func scaleRanges(i int) []string {
	if i%2 == 0 {
		return []string{"AzureCloud", "20.20.20.20"}
	}
	out := make([]string, 5)
	for j := range out {
		k := i*5 + j
		out[j] = fmt.Sprintf("%d.%d.%d.0/24", 40+k>>16, (k>>8)&255, k&255)
	}
	return out
}

// seedClusters writes n clusters and their finished create operations
// straight into the stopped server's bbolt store through the store API (no
// fsync; the API would take minutes at 100,000): copies of tmpl, a cluster the API created and the controller
// completed, with their own name, DNS name and list, Succeeded and
// applied, with the status the controller would write (so a restart has
// no store write to make).
func seedClusters(tb testing.TB, path string, tmpl state.ManagedCluster, tagStatus state.ClusterStatus, n int) {
	tb.Helper()
	st, err := boltstore.Open(path, boltstore.WithNoSync())
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	suffix := tmpl.FQDN[strings.IndexByte(tmpl.FQDN, '.'):]
	for i := range n {
		mc := tmpl
		mc.Name, mc.DNSPrefix, mc.FQDN = scaleName(i), scaleName(i), scaleName(i)+"-5ca1"+suffix
		// Its create operation, finished, as the API and the controller leave
		// one per PUT.
		op := state.Operation{ID: fmt.Sprintf("seed-%06d", i), Subscription: mc.Subscription, Namespace: "Microsoft.ContainerService",
			Location: mc.Location, Kind: state.OpCreate, ClusterKey: mc.Key(), Generation: mc.Generation,
			Status: "Succeeded", StartTime: mc.CreatedAt, EndTime: mc.CreatedAt.Add(time.Second)}
		ob, err := state.Encode(op)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Put(ctx, state.OperationKey(op.ID), ob); err != nil {
			tb.Fatal(err)
		}
		mc.OperationID = op.ID
		mc.Access.AuthorizedIPRanges = scaleRanges(i)
		mc.Status = state.ClusterStatus{}
		if i%2 == 0 {
			mc.Status = tagStatus
		}
		b, err := state.Encode(mc)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Put(ctx, mc.Key(), b); err != nil {
			tb.Fatal(err)
		}
	}
}

// proc is what the process holds: resident memory (after a GC that
// returns freed memory to the OS), the Go heap in use, descriptors and
// goroutines.
type proc struct {
	rss, heap       uint64
	fds, goroutines int
}

func measureProc(tb testing.TB) proc {
	tb.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return proc{rss: readRSS(tb), heap: ms.HeapInuse, fds: fdCount(tb), goroutines: runtime.NumGoroutine()}
}

// readRSS reads VmRSS from /proc/self/status.
func readRSS(tb testing.TB) uint64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// freeAddr returns a loopback address free at the time of the call.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var routesLine = regexp.MustCompile(`\[\+\]routes (\d+) in force`)

// readyWatch polls /readyz from its start until it answers 200 and
// records when, and how many routes it reported then.
type readyWatch struct {
	start  time.Time
	done   chan struct{}
	at     time.Duration
	routes int
}

func watchReady(addr string, start time.Time) *readyWatch {
	w := &readyWatch{start: start, done: make(chan struct{})}
	hc := &http.Client{Timeout: time.Second}
	go func() {
		defer close(w.done)
		for time.Since(start) < 5*time.Minute {
			resp, err := hc.Get("http://" + addr + "/readyz")
			if err != nil {
				time.Sleep(2 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				w.at = time.Since(start)
				if m := routesLine.FindSubmatch(b); m != nil {
					w.routes, _ = strconv.Atoi(string(m[1]))
				}
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

// scrapeMetrics fetches /metrics and returns its size and time.
func scrapeMetrics(tb testing.TB, addr string) (int, time.Duration) {
	tb.Helper()
	start := time.Now()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return len(b), time.Since(start)
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// parallel runs fn(i) for i in [0, n) on workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func mib(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64) }
