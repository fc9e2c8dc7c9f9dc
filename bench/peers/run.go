package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The server names the client sends: the TLS route and the bulk route.
const (
	apiSNI  = "api.bench.test"
	bulkSNI = "bulk.bench.test"
)

// outputs are the files a run wrote.
type outputs struct {
	markdown, svg string
	sums          map[string]summary
}

// resolveBinaries finds the peers, the stream module and the tagwall
// binary o names (empty: run builds one).
func resolveBinaries(o options) (binaries, error) {
	b := binaries{tagwall: o.tagwall, streamModule: o.streamModule}
	var err error
	if b.haproxy, err = exec.LookPath(o.haproxy); err != nil {
		return b, fmt.Errorf("find haproxy %q (scripts/bench-peers installs it): %w", o.haproxy, err)
	}
	if b.nginx, err = exec.LookPath(o.nginx); err != nil {
		return b, fmt.Errorf("find nginx %q (scripts/bench-peers installs it): %w", o.nginx, err)
	}
	if _, err := os.Stat(o.streamModule); err != nil {
		return b, fmt.Errorf("find nginx stream module (Debian libnginx-mod-stream): %w", err)
	}
	if b.tagwall == "" {
		return b, nil
	}
	b.tagwall, err = filepath.Abs(b.tagwall)
	return b, err
}

// prepare builds the workload: the allowlist, the client's address pools
// and the pre-encoded PROXY headers and ClientHellos.
func prepare(o options, a *allowlist, cl *client) (*workload, error) {
	rng := newRand(o.seed)
	w := &workload{cl: cl, conc: o.conc, flood: o.flood, floodRate: o.floodRate, d: o.duration}
	for i, x := range a.allowedAddrs(rng, 4096) {
		w.allowedHdrs = append(w.allowedHdrs, headerFor(x, i))
	}
	denied, err := a.deniedAddrs(rng, 4096)
	if err != nil {
		return nil, err
	}
	hello, err := clientHello(apiSNI)
	if err != nil {
		return nil, err
	}
	for i, x := range denied {
		w.deniedPre = append(w.deniedPre, append(headerFor(x, i), hello...))
	}
	bulkHello, err := clientHello(bulkSNI)
	if err != nil {
		return nil, err
	}
	w.bulkPre = append(append([]byte{}, w.allowedHdrs[0]...), bulkHello...)
	return w, nil
}

// startAll starts every contender and waits until each admits an allowed
// connection and refuses a denied one.
func startAll(root string, bin binaries, s settings, w *workload) (map[string]*contender, error) {
	cs := map[string]*contender{}
	for _, n := range contenderNames {
		c, err := startContender(n, root, bin, s)
		if c != nil {
			cs[n] = c
		}
		if err != nil {
			return cs, err
		}
		probe := func() error { _, err := w.cl.allowed(c.api, w.allowedHdrs[0]); return err }
		if err := c.ready(probe, 30*time.Second); err != nil {
			return cs, err
		}
		if err := w.cl.denied(c.api, w.deniedPre[0]); err != nil {
			return cs, fmt.Errorf("check %s refuses a denied address: %w", n, err)
		}
	}
	return cs, nil
}

// run performs the whole benchmark and writes the report.
func run(ctx context.Context, o options, log io.Writer) (outputs, error) {
	started := time.Now()
	root, err := os.MkdirTemp("", "bench-peers-")
	if err != nil {
		return outputs{}, err
	}
	if o.keep {
		fmt.Fprintf(log, "keeping configs and logs in %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}
	bin, err := resolveBinaries(o)
	if err != nil {
		return outputs{}, err
	}
	if bin.tagwall == "" {
		fmt.Fprintf(log, "building tagwall\n")
		if bin.tagwall, err = buildTagwall(ctx, root); err != nil {
			return outputs{}, err
		}
	}
	st, err := filepath.Abs(o.serviceTags)
	if err != nil {
		return outputs{}, err
	}
	a, err := newAllowlist(st, o.tag, o.extra, o.seed)
	if err != nil {
		return outputs{}, err
	}
	ups, err := startUpstreams(apiSNI, bulkSNI)
	if err != nil {
		return outputs{}, err
	}
	defer ups.Close()
	cl := &client{roots: ups.roots, sni: apiSNI, timeout: 5 * time.Second,
		request: []byte("GET / HTTP/1.1\r\nHost: " + apiSNI + "\r\n\r\n")}
	w, err := prepare(o, a, cl)
	if err != nil {
		return outputs{}, err
	}
	s := settings{UpstreamTLS: ups.tlsAddr(), UpstreamBulk: ups.bulkAddr(), Threads: 2,
		StreamModule: bin.streamModule, ServiceTags: st, SNI: apiSNI, BulkSNI: bulkSNI,
		Ranges: tagwallRanges(a), allow: a}
	cs, err := startAll(root, bin, s, w)
	defer func() {
		for _, c := range cs {
			c.stop()
		}
	}()
	if err != nil {
		return outputs{}, err
	}
	info := runInfo{started: started, machine: machine(o, bin), command: o.command, notes: notes(o, a)}
	samples := rounds(o, w, cs, log)
	sums := map[string]summary{}
	for _, n := range contenderNames {
		mem, err := cs[n].peakRSS()
		if err != nil {
			return outputs{}, err
		}
		sums[n] = summarize(samples[n], mem)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	info.machine = append(info.machine, "load average at end: "+strings.TrimSpace(string(load)))
	info.elapsed = time.Since(started)
	info.prefixes = fmt.Sprintf("%d prefixes: %s from %s (%d) + %d random global CIDRs, seed %d",
		len(a.all()), o.tag, filepath.Base(o.serviceTags), len(a.tag), len(a.extra), o.seed)
	return write(o, sums, info)
}

// rounds measures every contender o.rounds times, rotating the order.
func rounds(o options, w *workload, cs map[string]*contender, log io.Writer) map[string][]sample {
	for _, n := range contenderNames { // warm up client, upstream and proxy
		w.allowed(cs[n], min(o.duration/2, 500*time.Millisecond))
	}
	samples := map[string][]sample{}
	for r := range o.rounds {
		for _, n := range rotate(contenderNames, r) {
			s := w.measure(cs[n])
			samples[n] = append(samples[n], s)
			fmt.Fprintf(log, "round %d %-8s allowed %7.0f/s denied %7.0f/s bulk %5.2f GiB/s p50 %5.2fms p99 %6.2fms flood %7.0f/s (%+.1f%%, %.0f denied/s) cpu/conn %.0fµs allowed %.1fµs denied errs %d leaks %d\n",
				r+1, n, s.allowed, s.denied, s.bulk/(1<<30), ms(s.p50), ms(s.p99), s.flood, -s.drop, s.floodDenied,
				s.cpuAllowed, s.cpuDenied, s.errs, s.leaks)
		}
	}
	return samples
}

// write renders the table and the plot into o.outDir (a new temporary
// directory when empty).
func write(o options, sums map[string]summary, info runInfo) (outputs, error) {
	dir := o.outDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "bench-peers-smoke-"); err != nil {
			return outputs{}, err
		}
	}
	out := outputs{markdown: filepath.Join(dir, "bench", "peers.md"), svg: filepath.Join(dir, "img", "peers.svg"), sums: sums}
	var md, svg bytes.Buffer
	writeMarkdown(&md, sums, info, "img/peers.svg")
	writeSVG(&svg, sums, "tagwall front door vs HAProxy and nginx, same allowlist (HAProxy = 1.0)")
	for path, data := range map[string][]byte{out.markdown: md.Bytes(), out.svg: svg.Bytes()} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return out, fmt.Errorf("write report: %w", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return out, fmt.Errorf("write report: %w", err)
		}
	}
	return out, nil
}

// notes are the report's caveats: what differs between the contenders and
// how the figures are taken.
func notes(o options, a *allowlist) []string {
	return []string{
		fmt.Sprintf("Each measurement runs %s with %d client goroutines, one connection at a time each (closed loop); %d rounds, contenders alternated round-robin with a rotating start, medians reported.",
			o.duration, o.conc, o.rounds),
		"Allowed: a PROXY v2 header with an allowed public address (v4 and v6, from the tag and the extra CIDRs) and the ClientHello in one segment, a full TLS 1.3 handshake with the upstream (ECDSA P-256, no resumption), one small HTTP request, the whole answer read. Time to first byte is measured from dial to the first response byte in the same run.",
		"Denied: a PROXY v2 header with a denied global address and a ClientHello in one write, then wait for the proxy to close the connection.",
		fmt.Sprintf("Flood: the allowed measurement repeated while %d more goroutines send denied connections, %s; allowed-alone and under-flood windows alternate in %d slices within each round, and the drop is relative to the same round's allowed rate. The flood's client work shares the 2 cores with the allowed client.", o.flood, floodPace(o.floodRate), floodSlices),
		"Throughput: one allowed connection to a bulk upstream that, after the ClientHello, streams zeros with no TLS record layer, so the figure is the proxy's forwarding path alone. tagwall splices between the raw sockets (io.Copy on *net.TCPConn); HAProxy (no `option splice-auto`) and nginx copy through user-space buffers, as their defaults do.",
		"Routing differs: tagwall has one listener and routes by SNI (api and bulk routes), so it reads the ClientHello before deciding for an address some route admits, and refuses an address no route admits right after the PROXY header; HAProxy and nginx do not route by SNI and have one listener per upstream with the flat prefix list. HAProxy decides right after the PROXY header (`tcp-request session reject if !{ src -f allow.lst }`: `tcp-request connection` rules run before the PROXY header is read and would only see 127.0.0.1); nginx checks `allow`/`deny` (a linear list of " + fmt.Sprint(len(a.all())) + " rules) after `set_real_ip_from`.",
		"The machine is shared with other builds, so the rates swing from round to round (the ranges in parentheses); where two contenders' ranges overlap, a met/missed verdict on a rate is within that noise. The proxy CPU per connection moves much less and is the steadier comparison.",
		"Proxy CPU per connection: user + system time of the proxy's processes (/proc/PID/stat, all threads; nginx master + workers) during the allowed-alone slices and the denied measurement, divided by the connections completed. It depends far less on the machine's background load and on the shared client than the rates do.",
		"Logging differs: tagwall writes one JSON audit line per denied connection and nginx one error-log line (`access forbidden by rule`), both to a file; HAProxy has no log target configured and logs nothing.",
		"Processes: tagwall with GOMAXPROCS=2, HAProxy with `nbthread 2`, nginx with `worker_processes 2`; peak memory is VmHWM from /proc/PID/status after the run (nginx: master + workers summed). The Go client and both upstreams run in the harness process on the same 2 cores, so connection rates are bounded by the client's TLS work as much as by the proxy.",
	}
}

// floodPace describes the flood's pacing for the notes.
func floodPace(rate float64) string {
	if rate <= 0 {
		return "each as fast as the proxy closes its connections (so a faster proxy gets a heavier flood)"
	}
	return fmt.Sprintf("paced to %.0f denied connections per second in total for every contender (the achieved rate is in the table)", rate)
}
