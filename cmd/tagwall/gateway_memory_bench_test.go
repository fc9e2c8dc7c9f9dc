package main

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkGatewayStartMemory measures what `tagwall gateway` holds once it
// is ready, as a process of its own: the real binary (built with `go build
// -o` into a temp dir, not the test binary), GOMAXPROCS=2, two routes
// admitting AzureCloud of the public 4 MB document plus one CIDR (the shape
// of the bench/peers config), loopback only. Each iteration starts the
// process, waits for its "gateway listening" line (the document is parsed
// and the routes compiled before it listens), then reads:
//
//   - /proc/PID/status: VmHWM (peak resident set so far), VmRSS, RssAnon
//     (heap, stacks, runtime) and RssFile (file pages: the binary's text
//     and data the process has touched);
//   - the Go runtime's figures from its own /debug/pprof/heap?gc=1&debug=1
//     (--pprof on a loopback port): the live heap after a collection;
//   - GODEBUG=gctrace=1 on its stderr: the largest heap at the start of a
//     collection and the largest heap goal before it was ready (the
//     parse of the document is what sets them).
//
// Metrics are in MiB (the runtime's "MB" in gctrace is MiB too, rounded
// down); each is the mean over the iterations (one start each). Sub-benchmarks set GOGC or GOMEMLIMIT
// for the gateway process. The binary's size and its .text section are
// reported as binary-MiB and text-MiB.
//
//	go test ./cmd/tagwall -run '^$' -bench GatewayStartMemory -benchtime 1x -count 3
func BenchmarkGatewayStartMemory(b *testing.B) {
	if raceEnabled {
		b.Skip("the race detector multiplies memory")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go tool to build tagwall with: %v", err)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "tagwall")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build -o %s .: %v\n%s", bin, err, out)
	}
	binMiB, textMiB := binarySizes(b, bin)
	cfgPath := filepath.Join(dir, "gateway.yaml")
	doc := mustAbsPath(b, shared(b, "azure-public-2025-10-13.json"))
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, `listen: 127.0.0.1:0
proxyProtocol: {trustedPeers: [127.0.0.0/8], required: true}
serviceTagCache: %s
serviceTags: [{source: %s, refresh: 24h}]
routes:
  - sni: api.example.test
    upstream: 127.0.0.1:9
    authorizedIPRanges: [AzureCloud, "203.0.113.0/24"]
  - sni: bulk.example.test
    upstream: 127.0.0.1:9
    authorizedIPRanges: [AzureCloud, "203.0.113.0/24"]
`, filepath.Join(dir, "cache"), doc), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct{ name, env string }{
		{"GOGC=100", ""},
		{"GOGC=50", "GOGC=50"},
		{"GOGC=25", "GOGC=25"},
		{"GOMEMLIMIT=24MiB", "GOMEMLIMIT=24MiB"},
		{"GOMEMLIMIT=16MiB", "GOMEMLIMIT=16MiB"},
	} {
		b.Run(v.name, func(b *testing.B) {
			var sum startMemory
			n := 0
			for b.Loop() {
				sum = sum.add(gatewayStartMemory(b, bin, cfgPath, v.env))
				n++
			}
			mean := sum.scale(1 / float64(n))
			b.ReportMetric(mean.hwm, "VmHWM-MiB")
			b.ReportMetric(mean.rss, "VmRSS-MiB")
			b.ReportMetric(mean.anon, "RssAnon-MiB")
			b.ReportMetric(mean.file, "RssFile-MiB")
			b.ReportMetric(mean.live, "heap-live-MiB")
			b.ReportMetric(mean.gcPeak, "heap-peak-MiB")
			b.ReportMetric(mean.gcGoal, "heap-goal-MiB")
			b.ReportMetric(binMiB, "binary-MiB")
			b.ReportMetric(textMiB, "text-MiB")
		})
	}
}

// startMemory is one start's figures, in MiB.
type startMemory struct {
	hwm, rss, anon, file float64 // /proc/PID/status
	live                 float64 // HeapAlloc after a GC
	gcPeak, gcGoal       float64 // gctrace, until ready
}

func (a startMemory) add(b startMemory) startMemory {
	return startMemory{
		hwm: a.hwm + b.hwm, rss: a.rss + b.rss, anon: a.anon + b.anon, file: a.file + b.file,
		live: a.live + b.live, gcPeak: a.gcPeak + b.gcPeak, gcGoal: a.gcGoal + b.gcGoal,
	}
}

func (a startMemory) scale(f float64) startMemory {
	return startMemory{
		hwm: a.hwm * f, rss: a.rss * f, anon: a.anon * f, file: a.file * f,
		live: a.live * f, gcPeak: a.gcPeak * f, gcGoal: a.gcGoal * f,
	}
}

var (
	gctraceRE     = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)
	listeningRE   = regexp.MustCompile(`"msg":"gateway listening","addr":"([^"]+)"`)
	pprofListenRE = regexp.MustCompile(`"msg":"pprof listening","addr":"([^"]+)"`)
	memStatRE     = regexp.MustCompile(`(?m)^# HeapAlloc = (\d+)$`)
)

// gatewayStartMemory starts bin as `tagwall gateway`, waits until it
// listens (at most 60 s), reads its memory and kills it.
func gatewayStartMemory(b *testing.B, bin, cfgPath, env string) startMemory {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "gateway", "--config", cfgPath, "--pprof", "127.0.0.1:0", "--shutdown-timeout", "1s")
	cmd.Env = append(filteredEnv("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"), "GOMAXPROCS=2", "GODEBUG=gctrace=1")
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var m startMemory
	var pprofAddr string
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		listening := false
		for sc.Scan() {
			line := sc.Text()
			if g := gctraceRE.FindStringSubmatch(line); g != nil {
				start, _ := strconv.ParseFloat(g[1], 64)
				goal, _ := strconv.ParseFloat(g[4], 64)
				m.gcPeak, m.gcGoal = max(m.gcPeak, start), max(m.gcGoal, goal)
				continue
			}
			if p := pprofListenRE.FindStringSubmatch(line); p != nil {
				pprofAddr = p[1]
			}
			if listeningRE.MatchString(line) {
				listening = true
				break
			}
		}
		ready <- listening
		_, _ = io.Copy(io.Discard, stderr) // later gctrace lines (the pprof GC) are not the start's
	}()
	select {
	case ok := <-ready:
		if !ok {
			b.Fatal("gateway exited before listening")
		}
	case <-ctx.Done():
		b.Fatal("gateway did not listen within 60 s")
	}
	st, err := procStatus(cmd.Process.Pid, "VmHWM", "VmRSS", "RssAnon", "RssFile")
	if err != nil {
		b.Fatal(err)
	}
	m.hwm, m.rss = float64(st["VmHWM"])/1024, float64(st["VmRSS"])/1024
	m.anon, m.file = float64(st["RssAnon"])/1024, float64(st["RssFile"])/1024
	if pprofAddr == "" {
		b.Fatal("gateway logged no pprof address")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pprofAddr+"/debug/pprof/heap?gc=1&debug=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	h := memStatRE.FindSubmatch(body)
	if h == nil {
		b.Fatalf("heap profile has no HeapAlloc line:\n%.500s", body)
	}
	live, _ := strconv.ParseFloat(string(h[1]), 64)
	m.live = live / (1 << 20)
	return m
}

// filteredEnv is os.Environ without the named variables.
func filteredEnv(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && name != n
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}

// binarySizes returns the file's size and its .text section's, in MiB.
func binarySizes(tb testing.TB, path string) (file, text float64) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := elf.Open(path)
	if err != nil {
		tb.Skipf("not an ELF binary: %v", err)
	}
	defer f.Close()
	s := f.Section(".text")
	if s == nil {
		tb.Fatal("no .text section")
	}
	return float64(fi.Size()) / (1 << 20), float64(s.Size) / (1 << 20)
}
