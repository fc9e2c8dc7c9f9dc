package main

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// realTags is the real Azure Public document the harness reads.
const realTags = "../../../shared/testdata/servicetags/azure-public-2025-10-13.json"

func needRealTags(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(realTags); err != nil {
		tb.Fatalf("real service-tag data missing (CI must run on it): %v", err)
	}
}

// needPeers skips when haproxy, nginx or the stream module is missing,
// except under CI=true, where the peers must be installed (scripts/deps).
func needPeers(tb testing.TB) {
	tb.Helper()
	var missing []string
	for _, b := range []string{"haproxy", "nginx"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if _, err := os.Stat(defaultOptions().streamModule); err != nil {
		missing = append(missing, "libnginx-mod-stream")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("peers not installed under CI: %v (scripts/deps installs them)", missing)
	}
	tb.Skipf("peers not installed: %v (scripts/deps or scripts/bench-peers installs them)", missing)
}

// TestSmoke runs the whole harness in smoke mode: every contender starts
// from its generated config, admits allowed addresses, refuses denied ones
// without leaking a byte, forwards the bulk stream, and the report and
// plot are written and well formed.
func TestSmoke(t *testing.T) {
	needRealTags(t)
	needPeers(t)
	if testing.Short() {
		t.Skip("-short: the smoke run starts three proxies")
	}
	o, err := parseFlags([]string{"-smoke", "-servicetags", realTags}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.outDir = t.TempDir()
	if o.tagwall, err = buildTagwall(context.Background(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	out, err := run(context.Background(), o, &log)
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range contenderNames {
		s := out.sums[n]
		if s.allowed <= 0 || s.denied <= 0 || s.bulk <= 0 || s.mem <= 0 {
			t.Errorf("%s: empty figures %+v", n, s)
		}
		if s.leaks != 0 {
			t.Errorf("%s: %d denied connections received upstream bytes", n, s.leaks)
		}
	}
	md, err := os.ReadFile(out.markdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| metric | tagwall | HAProxy | nginx |", "allowed connections (conn/s", "img/peers.svg", "haproxy -v: HAProxy version"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	checkSVG(t, out.svg)
}

func checkSVG(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	rects := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	plotted := 0
	for _, m := range metrics {
		if m.plot {
			plotted++
		}
	}
	if want := 1 + len(contenderNames) + plotted*len(contenderNames); rects != want {
		tb.Errorf("%s has %d rects, want %d (background, legend, bars)", path, rects, want)
	}
}

func TestProxyV2(t *testing.T) {
	tests := []struct {
		name     string
		src, dst string
		want     string // hex after the signature
		wantErr  string
	}{
		{name: "v4", src: "20.20.20.20:1000", dst: "198.51.100.10:443",
			want: "2111000c" + "14141414" + "c633640a" + "03e8" + "01bb"},
		{name: "v6", src: "[2001:db8::1]:1", dst: "[2001:db8::2]:2",
			want: "21210024" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" + "0001" + "0002"},
		{name: "mapped v4 is v4", src: "[::ffff:1.2.3.4]:5", dst: "5.6.7.8:6",
			want: "2111000c" + "01020304" + "05060708" + "0005" + "0006"},
		{name: "mixed families", src: "1.2.3.4:5", dst: "[2001:db8::2]:2", wantErr: "address families differ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := proxyV2(netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(h[:12]) != string(proxyV2Sig) {
				t.Fatalf("signature %x", h[:12])
			}
			if got := hexString(h[12:]); got != tc.want {
				t.Errorf("header = %s, want %s", got, tc.want)
			}
		})
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr string
	}{
		{name: "ordinary", status: "Name:\tnginx\nVmPeak:\t  100 kB\nVmHWM:\t   18532 kB\nVmRSS:\t 1 kB\n", want: 18532},
		{name: "missing", status: "Name:\tx\n", wantErr: "no VmHWM line"},
		{name: "bad unit", status: "VmHWM:\t 12 MB\n", wantErr: "want \"N kB\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmHWM(tc.status)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseVmHWM = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// FuzzParseVmHWM checks the /proc status parser never panics and never
// returns a negative size with a nil error.
func FuzzParseVmHWM(f *testing.F) {
	f.Add("VmHWM:\t 1 kB\n")    // ordinary line
	f.Add("VmHWM:")             // no value
	f.Add("VmHWM: -5 kB\n")     // negative
	f.Add("x\nVmHWM: 9 kB x\n") // trailing field
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseVmHWM(s); err == nil && n < 0 && !strings.Contains(s, "-") {
			t.Fatalf("parseVmHWM(%q) = %d", s, n)
		}
	})
}

func TestAllowlistAddresses(t *testing.T) {
	needRealTags(t)
	a, err := newAllowlist(realTags, "azurecloud", 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	v4, v6 := 0, 0
	for _, p := range a.tag {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 != 9572 || v6 != 3490 || len(a.extra) != 200 {
		t.Fatalf("AzureCloud %d v4 + %d v6, %d extra; want 9572 + 3490, 200", v4, v6, len(a.extra))
	}
	again, _ := newAllowlist(realTags, "AzureCloud", 200, 1)
	for i := range a.extra {
		if a.extra[i] != again.extra[i] || !isGlobal(a.extra[i].Addr()) || a.extra[i] != a.extra[i].Masked() {
			t.Fatalf("extra[%d] = %s (again %s): not fixed, global and masked", i, a.extra[i], again.extra[i])
		}
	}
	rng := newRand(3)
	for _, x := range a.allowedAddrs(rng, 2000) {
		if !reference(a.all(), x) {
			t.Fatalf("allowed address %s is in no prefix", x)
		}
	}
	denied, err := a.deniedAddrs(rng, 2000)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range denied {
		if reference(a.all(), x) || !isGlobal(x) {
			t.Fatalf("denied address %s is allowed or not global", x)
		}
	}
	if _, err := newAllowlist(realTags, "NoSuchTag", 0, 1); err == nil || !strings.Contains(err.Error(), `"NoSuchTag"`) {
		t.Errorf("unknown tag: err = %v", err)
	}
}

// reference is the slow check: a loop over every prefix.
func reference(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestRandomInTinyUniverse(t *testing.T) {
	rng := newRand(9)
	for _, s := range []string{"20.20.20.0/30", "20.20.20.20/32", "2001:db8::/126", "0.0.0.0/0"} {
		p := netip.MustParsePrefix(s)
		seen := map[netip.Addr]bool{}
		for range 400 {
			x := randomIn(rng, p)
			if !p.Contains(x) {
				t.Fatalf("randomIn(%s) = %s, outside", p, x)
			}
			seen[x] = true
		}
		if p.Bits() >= p.Addr().BitLen()-2 && len(seen) != 1<<(p.Addr().BitLen()-p.Bits()) {
			t.Errorf("randomIn(%s) reached %d of %d addresses", p, len(seen), 1<<(p.Addr().BitLen()-p.Bits()))
		}
	}
}

func TestStats(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	if got := percentile(ds, 50); got != 3 {
		t.Errorf("p50 = %v", got)
	}
	if got := percentile(ds, 99); got != 5 {
		t.Errorf("p99 = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median = %v", got)
	}
	if got := rotate([]string{"a", "b", "c"}, 4); strings.Join(got, "") != "bca" {
		t.Errorf("rotate = %v", got)
	}
}

// TestReportFromFixedFigures renders the table and the plot from fixed
// summaries: targets, ratios and a clipped bar.
func TestReportFromFixedFigures(t *testing.T) {
	sums := map[string]summary{
		nameTagwall: {allowed: 1300, denied: 9000, bulk: 3 << 30, p50: 1, p99: 3, flood: 1250, drop: 3.8, mem: 50 << 20},
		nameHAProxy: {allowed: 1000, denied: 10000, bulk: 3 << 30, p50: 1.2, p99: 4, flood: 900, drop: 10, mem: 10 << 20},
		nameNginx:   {allowed: 900, denied: 5000, bulk: 2 << 30, p50: 1.5, p99: 5, flood: 800, drop: 11, mem: 20 << 20},
	}
	var md strings.Builder
	writeMarkdown(&md, sums, runInfo{command: "scripts/bench-peers"}, "img/peers.svg")
	for _, want := range []string{
		"| allowed connections (conn/s, higher is better) | 1300 | 1000 | 900 | 1.30× | 1.44× | ≥ 1.2× HAProxy and ≥ 1.0× nginx | yes |",
		"| denied connections (conn/s, higher is better) | 9000 | 10000 | 5000 | 0.90× | 1.80× | ≥ 1.2× HAProxy | no |",
		"| allowed rate drop under flood (%, lower is better) | 3.8 | 10.0 | 11.0 | — | — | ≤ 10 % | yes |",
		"| peak memory (VmHWM) (MiB, lower is better) | 50.0 | 10.0 | 20.0 | 5.00× | 2.50× | — | — |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("table lacks\n%s\nin\n%s", want, md.String())
		}
	}
	path := t.TempDir() + "/peers.svg"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSVG(f, sums, "test <plot> & co")
	f.Close()
	checkSVG(t, path)
	svg, _ := os.ReadFile(path)
	if !strings.Contains(string(svg), "5.0▲") { // memory 5× is clipped at the axis top
		t.Errorf("plot lacks the clipped-bar label 5.0▲")
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr string
	}{
		{name: "ordinary", stat: "4242 (nginx) S 1 4242 4242 0 -1 4194560 300 0 0 0 150 37 0 0 20 0 1 0 100 1000 200\n", want: 1870 * time.Millisecond},
		{name: "name with spaces and parens", stat: "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 2 3 0 0 20 0 1 0\n", want: 50 * time.Millisecond},
		{name: "no name", stat: "7 a R 1", wantErr: "no command name"},
		{name: "short", stat: "7 (x) R 1 2 3", wantErr: "want at least 13"},
		{name: "bad number", stat: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 3 0", wantErr: `cpu field "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.stat)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if self, err := os.ReadFile("/proc/self/stat"); err == nil {
		if _, err := parseStatCPU(string(self)); err != nil {
			t.Errorf("own /proc/self/stat: %v", err)
		}
	}
}

func TestSummarizeRange(t *testing.T) {
	s := summarize([]sample{{allowed: 100, p50: time.Millisecond}, {allowed: 500, p50: time.Millisecond}, {allowed: 300, p50: time.Millisecond}}, 1<<20)
	if got := cell(metrics[0], s); got != "300 (100–500)" {
		t.Errorf("allowed cell = %q", got)
	}
	for _, m := range metrics {
		if strings.HasPrefix(m.label, "time to first byte p50") {
			if got := cell(m, s); got != "1.00" {
				t.Errorf("p50 cell = %q, want no range when the rounds agree", got)
			}
		}
	}
}
