package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// options are the harness's flags.
type options struct {
	duration     time.Duration // per measurement
	rounds       int
	conc, flood  int
	floodRate    float64
	smoke        bool
	outDir       string // docs directory: bench/peers.md and img/peers.svg go under it
	tagwall      string // tagwall binary; built when empty
	serviceTags  string // Azure service-tag download document
	tag          string
	extra        int
	seed         uint64
	haproxy      string
	nginx        string
	streamModule string
	command      string // the command line recorded in the report
	keep         bool   // keep the contenders' config and log directories
}

func defaultOptions() options {
	return options{
		duration: 2 * time.Second, rounds: 7, conc: 16, flood: 16, floodRate: 1000,
		outDir:       "docs",
		serviceTags:  "../shared/testdata/servicetags/azure-public-2025-10-13.json",
		tag:          "AzureCloud",
		extra:        200,
		seed:         20251013,
		haproxy:      "haproxy",
		nginx:        "nginx",
		streamModule: "/usr/lib/nginx/modules/ngx_stream_module.so",
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := defaultOptions()
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", o.duration, "length of each measurement")
	fs.IntVar(&o.rounds, "rounds", o.rounds, "round-robin rounds; the report takes the median")
	fs.IntVar(&o.conc, "concurrency", o.conc, "client goroutines for the connection-rate measurements")
	fs.IntVar(&o.flood, "flood", o.flood, "client goroutines sending denied connections during the flood measurement")
	fs.Float64Var(&o.floodRate, "flood-rate", o.floodRate, "denied connections per second in the flood, the same for every contender (0: as fast as the proxy closes them)")
	fs.BoolVar(&o.smoke, "smoke", false, "a few tiny rounds; write to a temporary directory instead of -out")
	fs.StringVar(&o.outDir, "out", o.outDir, "docs directory: writes bench/peers.md and img/peers.svg under it")
	fs.StringVar(&o.tagwall, "tagwall", "", "tagwall binary (default: go build ./cmd/tagwall into a temporary directory)")
	fs.StringVar(&o.serviceTags, "servicetags", o.serviceTags, "Azure service-tag download document")
	fs.StringVar(&o.tag, "tag", o.tag, "service tag whose prefixes form the allowlist")
	fs.IntVar(&o.extra, "extra", o.extra, "random global CIDRs added to the allowlist")
	fs.Uint64Var(&o.seed, "seed", o.seed, "seed for the random CIDRs and client addresses")
	fs.StringVar(&o.haproxy, "haproxy", o.haproxy, "haproxy binary")
	fs.StringVar(&o.nginx, "nginx", o.nginx, "nginx binary")
	fs.BoolVar(&o.keep, "keep", false, "keep the contenders' config and log directories (the path is printed)")
	fs.StringVar(&o.streamModule, "stream-module", o.streamModule, "nginx stream module to load")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.smoke {
		o.duration, o.rounds, o.conc, o.flood, o.floodRate = 300*time.Millisecond, 1, 4, 4, 200
		outSet := false
		fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
		if !outSet {
			o.outDir = "" // a temporary directory
		}
	}
	if o.rounds < 1 || o.conc < 1 || o.flood < 1 || o.duration <= 0 {
		return o, fmt.Errorf("-rounds, -concurrency, -flood and -duration must be positive")
	}
	o.command = "bench/peers " + strings.Join(args, " ")
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if cmd := os.Getenv("BENCH_PEERS_COMMAND"); cmd != "" {
		o.command = cmd
	}
	out, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench/peers: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", out.markdown, out.svg)
}

// buildTagwall builds cmd/tagwall into dir.
func buildTagwall(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "tagwall")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tagwall/tagwall/cmd/tagwall")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build tagwall: %w\n%s", err, out.String())
	}
	return bin, nil
}

// firstLine runs a command and returns the first line of its combined
// output.
func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return fmt.Sprintf("(%s: %v)", name, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// machine describes the host for the report.
func machine(o options, bin binaries) []string {
	cpu := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	return []string{
		fmt.Sprintf("nproc: %d (the client, the upstream and the proxy share them; the machine is shared with other builds)", runtime.NumCPU()),
		"CPU: " + cpu,
		"kernel: " + strings.TrimSpace(string(kernel)),
		"Go: " + runtime.Version(),
		"haproxy -v: " + firstLine(bin.haproxy, "-v"),
		"nginx -v: " + firstLine(bin.nginx, "-v"),
		"load average at start: " + strings.TrimSpace(string(load)),
	}
}
