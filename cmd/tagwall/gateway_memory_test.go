package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/testutil"
)

// maxGatewayHWM bounds the peak resident memory (VmHWM) of `tagwall
// gateway` run from this test binary (about 2.5 MiB more binary than
// tagwall itself) with the public document's AzureCloud tag, after start
// and 2,000 denied connections. Measured on linux/amd64: 44 MiB after the
// memory work (prefixes parsed in place, lazy reverse index), 54 MiB before
// it (docs/bench/memory.md); the bound is between, with room for noise.
const maxGatewayHWM = 48 << 10 // kB

// TestGatewayPeakMemory runs the gateway as a process of its own and fails
// when its VmHWM passes maxGatewayHWM: the load of the 4 MB service-tag
// document is what sets the peak, and a change that brings back a string
// per prefix or the eager reverse index passes the bound.
func TestGatewayPeakMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway process and loads the 4 MB document")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "gateway.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `listen: 127.0.0.1:0
proxyProtocol: {trustedPeers: [127.0.0.0/8], required: true}
serviceTags: [{source: %s, refresh: 24h}]
routes:
  - sni: api.example.test
    upstream: 127.0.0.1:9
    authorizedIPRanges: [AzureCloud, "203.0.113.0/24"]
`, mustAbsPath(t, shared(t, "azure-public-2025-10-13.json"))), 0o600)
	cmd := exec.Command(os.Args[0], "gateway", "--config", cfgPath, "--shutdown-timeout", "1s")
	cmd.Env = append(os.Environ(), "TAGWALL_AS_MAIN=1", "GOMAXPROCS=2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := listeningAddr(t, stderr)
	for i := range 2000 {
		client := fmt.Sprintf("198.51.%d.%d", i/250, 1+i%250) // TEST-NET-2 and beyond: in no tag
		c, err := testutil.DialProxied(t.Context(), addr, client)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, c) // the gateway closes a denied connection
		c.Close()
	}
	st, err := procStatus(cmd.Process.Pid, "VmHWM", "RssFile", "RssAnon")
	if err != nil {
		t.Fatal(err)
	}
	hwm := st["VmHWM"]
	t.Logf("VmHWM %.1f MiB (bound %.1f MiB); now RssFile %.1f MiB (file pages: the binary, libc), RssAnon %.1f MiB",
		float64(hwm)/1024, float64(maxGatewayHWM)/1024, float64(st["RssFile"])/1024, float64(st["RssAnon"])/1024)
	if hwm > maxGatewayHWM {
		t.Errorf("gateway VmHWM %.1f MiB, want at most %.1f MiB", float64(hwm)/1024, float64(maxGatewayHWM)/1024)
	}
}

// listeningAddr reads the gateway's log until it says where it listens,
// then drains the rest in the background.
func listeningAddr(t *testing.T, stderr io.Reader) string {
	t.Helper()
	addrRE := regexp.MustCompile(`"msg":"gateway listening","addr":"([^"]+)"`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			t.Fatal("gateway exited before listening")
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			t.Fatalf("gateway listening address %q: %v", addr, err)
		}
		return addr
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not start within 30 s")
	}
	return ""
}

// procStatus reads "Name: N kB" fields (kB) from /proc/pid/status.
func procStatus(pid int, fields ...string) (map[string]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("read /proc/%d/status: %w", pid, err)
	}
	out := map[string]int64{}
	for line := range strings.Lines(string(data)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || !slices.Contains(fields, name) {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse /proc/%d/status line %q: %w", pid, strings.TrimSpace(line), err)
		}
		out[name] = kb
	}
	for _, f := range fields {
		if _, ok := out[f]; !ok {
			return nil, fmt.Errorf("read /proc/%d/status: no %s line", pid, f)
		}
	}
	return out, nil
}
