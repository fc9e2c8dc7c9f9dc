package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// summary is a contender's median figures over the rounds.
type summary struct {
	allowed, denied, bulk float64 // conn/s, conn/s, bytes/s
	p50, p99              float64 // ms
	flood, drop           float64 // conn/s, %
	floodDenied           float64 // conn/s
	cpuAllowed, cpuDenied float64 // µs per connection
	mem                   float64 // bytes, peak RSS
	errs, leaks           int
	firstErr              error
	lo, hi                *summary // the smallest and largest figure of each kind over the rounds
}

// summarize takes the median of each figure over samples, and the range
// in lo and hi.
func summarize(samples []sample, mem int64) summary {
	s := reduce(samples, mem, median)
	lo, hi := reduce(samples, mem, slices.Min[[]float64]), reduce(samples, mem, slices.Max[[]float64])
	s.lo, s.hi = &lo, &hi
	return s
}

// reduce applies f to each figure's values over samples.
func reduce(samples []sample, mem int64, f func([]float64) float64) summary {
	col := func(get func(sample) float64) float64 {
		if len(samples) == 0 {
			return 0
		}
		xs := make([]float64, len(samples))
		for i, s := range samples {
			xs[i] = get(s)
		}
		return f(xs)
	}
	s := summary{
		allowed:     col(func(s sample) float64 { return s.allowed }),
		denied:      col(func(s sample) float64 { return s.denied }),
		bulk:        col(func(s sample) float64 { return s.bulk }),
		p50:         col(func(s sample) float64 { return ms(s.p50) }),
		p99:         col(func(s sample) float64 { return ms(s.p99) }),
		flood:       col(func(s sample) float64 { return s.flood }),
		drop:        col(func(s sample) float64 { return s.drop }),
		floodDenied: col(func(s sample) float64 { return s.floodDenied }),
		cpuAllowed:  col(func(s sample) float64 { return s.cpuAllowed }),
		cpuDenied:   col(func(s sample) float64 { return s.cpuDenied }),
		mem:         float64(mem),
	}
	for _, x := range samples {
		s.errs += x.errs
		s.leaks += x.leaks
		if s.firstErr == nil {
			s.firstErr = x.firstErr
		}
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// metric is one row of the table and one bar group of the plot.
type metric struct {
	label  string
	unit   string
	higher bool // higher is better
	plot   bool // drawn in the plot (normalised to HAProxy)
	ratio  bool // the ratio columns make sense
	value  func(summary) float64
	format string
	target string
	met    func(tw, hp, ng summary) bool
}

var metrics = []metric{
	{label: "allowed connections", unit: "conn/s", higher: true, plot: true, ratio: true,
		value: func(s summary) float64 { return s.allowed }, format: "%.0f",
		target: "≥ 1.2× HAProxy and ≥ 1.0× nginx",
		met:    func(tw, hp, ng summary) bool { return tw.allowed >= 1.2*hp.allowed && tw.allowed >= ng.allowed }},
	{label: "denied connections", unit: "conn/s", higher: true, plot: true, ratio: true,
		value: func(s summary) float64 { return s.denied }, format: "%.0f",
		target: "≥ 1.2× HAProxy",
		met:    func(tw, hp, _ summary) bool { return tw.denied >= 1.2*hp.denied }},
	{label: "throughput, one connection", unit: "GiB/s", higher: true, plot: true, ratio: true,
		value: func(s summary) float64 { return s.bulk / (1 << 30) }, format: "%.2f",
		target: "≥ 0.95× HAProxy",
		met:    func(tw, hp, _ summary) bool { return tw.bulk >= 0.95*hp.bulk }},
	{label: "time to first byte p50", unit: "ms", plot: true, ratio: true,
		value: func(s summary) float64 { return s.p50 }, format: "%.2f"},
	{label: "time to first byte p99", unit: "ms", plot: true, ratio: true,
		value: func(s summary) float64 { return s.p99 }, format: "%.2f"},
	{label: "allowed connections under denied flood", unit: "conn/s", higher: true, plot: true, ratio: true,
		value: func(s summary) float64 { return s.flood }, format: "%.0f"},
	{label: "denied flood achieved", unit: "conn/s", higher: true, ratio: true,
		value: func(s summary) float64 { return s.floodDenied }, format: "%.0f"},
	{label: "allowed rate drop under flood", unit: "%",
		value: func(s summary) float64 { return s.drop }, format: "%.1f",
		target: "≤ 10 %",
		met:    func(tw, _, _ summary) bool { return tw.drop <= 10 }},
	{label: "proxy CPU per allowed connection", unit: "µs", plot: true, ratio: true,
		value: func(s summary) float64 { return s.cpuAllowed }, format: "%.0f"},
	{label: "proxy CPU per denied connection", unit: "µs", plot: true, ratio: true,
		value: func(s summary) float64 { return s.cpuDenied }, format: "%.1f"},
	{label: "peak memory (VmHWM)", unit: "MiB", plot: true, ratio: true,
		value: func(s summary) float64 { return s.mem / (1 << 20) }, format: "%.1f"},
}

// runInfo describes the run for the report.
type runInfo struct {
	command  string
	machine  []string // "name: value" lines
	started  time.Time
	elapsed  time.Duration
	prefixes string // what the allowlist holds
	notes    []string
}

// writeMarkdown writes the table fragment for docs/benchmarks.md.
func writeMarkdown(w io.Writer, sums map[string]summary, info runInfo, svgPath string) {
	tw, hp, ng := sums[nameTagwall], sums[nameHAProxy], sums[nameNginx]
	fmt.Fprintf(w, "## Front door vs HAProxy and nginx (bench/peers)\n\n")
	fmt.Fprintf(w, "Same allowlist (%s), same TLS upstream, same Go client, loopback only. "+
		"Medians over the rounds, with the range over the rounds in parentheses; ratios are tagwall ÷ peer (for latency, CPU and memory lower is better).\n\n", info.prefixes)
	fmt.Fprintf(w, "| metric | tagwall | HAProxy | nginx | tagwall / HAProxy | tagwall / nginx | target | met |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for _, m := range metrics {
		v := func(s summary) string { return cell(m, s) }
		r1, r2 := "—", "—"
		if m.ratio {
			r1, r2 = ratio(m.value(tw), m.value(hp)), ratio(m.value(tw), m.value(ng))
		}
		target, met := "—", "—"
		if m.met != nil {
			target, met = m.target, "no"
			if m.met(tw, hp, ng) {
				met = "yes"
			}
		}
		better := "lower is better"
		if m.higher {
			better = "higher is better"
		}
		fmt.Fprintf(w, "| %s (%s, %s) | %s | %s | %s | %s | %s | %s | %s |\n",
			m.label, m.unit, better, v(tw), v(hp), v(ng), r1, r2, target, met)
	}
	fmt.Fprintf(w, "\n![tagwall, HAProxy and nginx, normalised to HAProxy = 1.0](%s)\n\n", svgPath)
	fmt.Fprintf(w, "Errors (failed allowed connections, denied connections not closed in time) and leaks "+
		"(denied connections that received upstream bytes), over all rounds: ")
	var parts []string
	for _, n := range contenderNames {
		s := sums[n]
		p := fmt.Sprintf("%s %d errors, %d leaks", n, s.errs, s.leaks)
		if s.firstErr != nil {
			p += fmt.Sprintf(" (first: %v)", s.firstErr)
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(w, "%s.\n\n", strings.Join(parts, "; "))
	fmt.Fprintf(w, "Notes:\n\n")
	for _, n := range info.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	fmt.Fprintf(w, "\nMachine and run (%s, %s):\n\n", info.started.UTC().Format(time.RFC3339), info.elapsed.Round(time.Second))
	for _, l := range info.machine {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintf(w, "\nCommand: `%s`\n", info.command)
}

// ratio formats a/b as "1.23×", or "—" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// cell formats m's median for s, followed by its range over the rounds
// when the rounds differ.
func cell(m metric, s summary) string {
	v := fmt.Sprintf(m.format, m.value(s))
	if s.lo == nil || s.hi == nil {
		return v
	}
	lo, hi := fmt.Sprintf(m.format, m.value(*s.lo)), fmt.Sprintf(m.format, m.value(*s.hi))
	if lo == hi {
		return v
	}
	return fmt.Sprintf("%s (%s–%s)", v, lo, hi)
}
