package aztest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/testutil"
)

// azEnv runs the az binary in an isolated, offline environment.
type azEnv struct {
	bin       string
	configDir string
	env       []string
}

// findAz returns az's path; it skips the test when az is missing, unless
// CI is set.
func findAz(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("az")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("az is not installed (CI must install Debian's azure-cli): %v", err)
		}
		tb.Skip("az is not installed (apt-get install azure-cli)")
	}
	return p
}

// proxyTrap listens on loopback and counts every connection: az's proxy
// variables point here, so anything az sends off the machine lands here.
func proxyTrap(tb testing.TB) (addr string, hits *atomic.Int64) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hits = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), hits
}

func newAzEnv(tb testing.TB, bin, caFile, trap string) *azEnv {
	tb.Helper()
	dir := tb.TempDir()
	a := &azEnv{bin: bin, configDir: filepath.Join(dir, "azcfg")}
	home := filepath.Join(dir, "home")
	for _, d := range []string{a.configDir, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	seedVersionCheck(tb, a.configDir)
	a.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AZURE_CONFIG_DIR=" + a.configDir,
		"REQUESTS_CA_BUNDLE=" + caFile, "LANG=C.UTF-8",
		"AZURE_CORE_COLLECT_TELEMETRY=no", "AZURE_CORE_NO_COLOR=true", "AZURE_CORE_SURVEY_MESSAGE=no",
		"HTTPS_PROXY=http://" + trap, "HTTP_PROXY=http://" + trap, "https_proxy=http://" + trap, "http_proxy=http://" + trap,
		"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
	}
	return a
}

// seedVersionCheck writes the versionCheck.json that keeps az from its
// daily HEAD https://azure.microsoft.com (az-wire.md §0).
func seedVersionCheck(tb testing.TB, dir string) {
	tb.Helper()
	v := fmt.Sprintf(`{"versions": {"azure-cli": {"local": "2.45.0"}, "core": {"local": "2.45.0"}, "telemetry": {"local": "1.0.8"}}, "update_time": %q}`,
		time.Now().Format("2006-01-02 15:04:05.000000"))
	if err := os.WriteFile(filepath.Join(dir, "versionCheck.json"), []byte(v), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// run runs az with args and returns stdout, stderr and the exit status.
func (a *azEnv) run(tb testing.TB, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, args...)
	cmd.Env = a.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		tb.Fatalf("az %s: %v", strings.Join(args, " "), err)
	}
	tb.Logf("az %s: rc %d in %v", redact(args), code, time.Since(start).Round(10*time.Millisecond))
	return o.String(), e.String(), code
}

// ok runs az and fails the test unless it exits 0.
func (a *azEnv) ok(tb testing.TB, args ...string) string {
	tb.Helper()
	out, errOut, code := a.run(tb, args...)
	if code != 0 {
		tb.Fatalf("az %s: rc %d\nstdout: %s\nstderr: %s", redact(args), code, out, errOut)
	}
	return out
}

// okJSON runs az and decodes its JSON stdout into v.
func (a *azEnv) okJSON(tb testing.TB, v any, args ...string) {
	tb.Helper()
	out := a.ok(tb, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		tb.Fatalf("az %s: stdout is not JSON: %v\n%s", redact(args), err, out)
	}
}

// fails runs az and fails the test unless it exits with code and stderr
// holds every one of want.
func (a *azEnv) fails(tb testing.TB, code int, want []string, args ...string) {
	tb.Helper()
	out, errOut, got := a.run(tb, args...)
	if got != code {
		tb.Fatalf("az %s: rc %d, want %d\nstdout: %s\nstderr: %s", redact(args), got, code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			tb.Errorf("az %s: stderr lacks %q:\n%s", redact(args), w, errOut)
		}
	}
}

// redact hides secrets and bearer tokens from logged command lines.
func redact(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case i > 0 && args[i-1] == "-p":
			out[i] = "<secret>"
		case strings.HasPrefix(a, "Authorization="):
			out[i] = "Authorization=<token>"
		default:
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

// startServer runs tagwall serve in-process on loopback ports, with the
// real Azure Public service tags and PROXY headers trusted from 127.0.0.1.
func startServer(tb testing.TB) *server.Main {
	tb.Helper()
	return startServerWith(tb, func(*server.Config) {})
}

// startServerWith starts tagwall serve as startServer does, with cfg
// adjusted by adjust. Like `tagwall serve`, it throttles as ARM does
// (Azure's buckets) unless adjust changes that.
func startServerWith(tb testing.TB, adjust func(*server.Config)) *server.Main {
	tb.Helper()
	tags := testutil.ServiceTags(tb, testutil.PublicTags)
	dir := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		ServiceTags:    []string{tags}, FeatureDelay: 2 * time.Second,
		ClientConfigPath: filepath.Join(dir, "client.json"),
		ARMThrottle:      &armthrottle.Config{},
	}
	adjust(&cfg)
	m, err := server.New(ctx, cfg)
	if err != nil {
		tb.Fatalf("run tagwall serve: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// kubeconfig is the part of a kubeconfig the front-door checks need.
type kubeconfig struct {
	Clusters []struct {
		Cluster struct {
			Server        string `yaml:"server"`
			TLSServerName string `yaml:"tls-server-name"`
			CAData        string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		User struct {
			Token string `yaml:"token"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// frontDoor reaches one cluster through the gateway as a given client.
type frontDoor struct {
	addr, sni, token string
	pool             *x509.CertPool
}

func parseFrontDoor(tb testing.TB, yml string) frontDoor {
	tb.Helper()
	var kc kubeconfig
	if err := yaml.Unmarshal([]byte(yml), &kc); err != nil || len(kc.Clusters) != 1 || len(kc.Users) != 1 {
		tb.Fatalf("az aks get-credentials printed no kubeconfig (%v):\n%s", err, yml)
	}
	c := kc.Clusters[0].Cluster
	ca, err := base64.StdEncoding.DecodeString(c.CAData)
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(ca) {
		tb.Fatalf("kubeconfig CA: %v", err)
	}
	return frontDoor{addr: strings.TrimPrefix(c.Server, "https://"), sni: c.TLSServerName, token: kc.Users[0].User.Token, pool: pool}
}

// get does GET /version as client (sent in a PROXY v2 header from the
// trusted loopback peer) and returns the status or the connection error.
func (f frontDoor) get(client string) (int, error) {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: f.pool, ServerName: f.sni},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return testutil.DialProxied(ctx, f.addr, client)
		},
	}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, "https://"+f.sni+"/version", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// expect waits until client is admitted (want true: GET /version answers
// 200) or refused (want false: the connection fails), for up to 15 s.
func (f frontDoor) expect(tb testing.TB, client string, want bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, err := f.get(client)
		admitted := err == nil && code == http.StatusOK
		if admitted == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("front door, client %s: admitted=%v (status %d, err %v), want %v", client, admitted, code, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
