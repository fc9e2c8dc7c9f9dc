package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/testutil"
)

// realKube starts a real kube-apiserver (scripts/kube-apiserver's build,
// named by TAGWALL_KUBE_APISERVER) on an embedded etcd, with a serving
// certificate for sni, and returns it with an admin client certificate.
func realKube(t *testing.T, sni string) (*kubeapi.Process, *pki.CA, kubeapi.ClientCert) {
	t.Helper()
	bin := os.Getenv(kubeapi.EnvBinary)
	if bin == "" {
		t.Skipf("%s is not set: run scripts/kube-apiserver (scripts/test does) to test against a real kube-apiserver", kubeapi.EnvBinary)
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not installed")
	}
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	ca, err := pki.NewCA("e2e kube CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := kubeapi.Start(context.Background(), kubeapi.Config{Binary: bin, Dir: t.TempDir(), EtcdServers: eps,
		EtcdPrefix: "/e2e", CA: ca, ServerNames: []string{sni}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	cc, err := kubeapi.IssueClient(ca, "e2e-admin", []string{kubeapi.MastersGroup}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p, ca, cc
}

// relay listens on loopback and forwards every connection to dst behind a
// PROXY header that claims client: it stands in for a load balancer in
// front of the gateway, so a loopback test can appear as 20.20.20.20.
func relay(t *testing.T, dst, client string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range open { // kept-alive client connections: end them now
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() { mu.Lock(); delete(open, c); mu.Unlock() }()
				defer c.Close()
				up, err := testutil.DialProxied(context.Background(), dst, client)
				if err != nil {
					return
				}
				defer up.Close()
				done := make(chan struct{})
				go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); close(done) }()
				io.Copy(c, up)
				c.(*net.TCPConn).CloseWrite()
				<-done
			})
		}
	})
	return ln.Addr().String()
}

// kubeClient is kubectl with one kubeconfig.
type kubeClient struct {
	t  *testing.T
	kc string
}

func newKubeClient(t *testing.T, name, server, sni string, ca *pki.CA, cc kubeapi.ClientCert) kubeClient {
	kc := filepath.Join(t.TempDir(), name+".kubeconfig")
	spec := kubeapi.KubeconfigSpec{Context: name, Server: "https://" + server, ServerName: sni, CAPEM: ca.CertPEM, Client: cc}
	if err := os.WriteFile(kc, kubeapi.Kubeconfig(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeClient{t, kc}
}

func (k kubeClient) cmd(args ...string) *exec.Cmd {
	return exec.Command("kubectl", append([]string{"--kubeconfig", k.kc, "--request-timeout=10s"}, args...)...)
}

func (k kubeClient) run(args ...string) (string, error) {
	out, err := k.cmd(args...).CombinedOutput()
	return string(out), err
}

func (k kubeClient) must(args ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// startGateway runs `tagwall gateway --config cfg` in-process and returns
// its listen address and log.
func startGateway(t *testing.T, cfg string) (string, *testutil.SyncBuffer) {
	t.Helper()
	var stdout, stderr testutil.SyncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"gateway", "--config", cfg, "--shutdown-timeout", "1s"}, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("gateway did not stop on SIGTERM")
		}
	})
	addrRE := regexp.MustCompile(`"msg":"gateway listening","addr":"([^"]+)"`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], &stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %s", stderr.String())
		}
		select {
		case code := <-exited:
			t.Fatalf("gateway exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

const kubeSNI = "api.kube.example.test"

func writeKubeGatewayConfig(t *testing.T, path, upstream string, ranges ...string) {
	t.Helper()
	src := mustAbsPath(t, shared(t, testutil.PublicTags))
	yaml := fmt.Sprintf("listen: 127.0.0.1:0\nproxyProtocol: {trustedPeers: [127.0.0.0/8]}\nserviceTags: [{source: %s}]\nroutes:\n  - sni: %s\n    upstream: %s\n    authorizedIPRanges: [%s]\n",
		src, kubeSNI, upstream, strings.Join(ranges, ", "))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // one file event, never a half-written file
		t.Fatal(err)
	}
}

// TestRealKubeThroughStandaloneGateway puts the standalone gateway in
// front of a real kube-apiserver and drives it with kubectl (client
// certificate, tls-server-name) from admitted and refused addresses.
func TestRealKubeThroughStandaloneGateway(t *testing.T) {
	kube, ca, admin := realKube(t, kubeSNI)
	cfg := filepath.Join(t.TempDir(), "gateway.yaml")
	writeKubeGatewayConfig(t, cfg, kube.Addr(), "AzureCloud", "20.20.20.20")
	gw, log := startGateway(t, cfg)
	azure := firstAddrOf(t, shared(t, testutil.PublicTags), "AzureCloud")

	fixed := newKubeClient(t, "fixed", relay(t, gw, "20.20.20.20"), kubeSNI, ca, admin)
	inAzure := newKubeClient(t, "azure", relay(t, gw, azure), kubeSNI, ca, admin)
	outside := newKubeClient(t, "outside", relay(t, gw, "8.8.8.8"), kubeSNI, ca, admin)

	fixed.must("create", "configmap", "one", "--from-literal=k=v")
	manifest := filepath.Join(t.TempDir(), "cm.yaml")
	os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: b}\n"), 0o600)
	inAzure.must("apply", "-f", manifest)
	if out := inAzure.must("get", "configmaps", "-o", "name"); !strings.Contains(out, "configmap/one") || !strings.Contains(out, "configmap/applied") {
		t.Errorf("get configmaps from an AzureCloud address: %s", out)
	}
	// --raw: a refused kubectl get would retry its discovery for a minute.
	if out, err := outside.run("get", "--raw", "/api/v1/namespaces/default/configmaps"); err == nil {
		t.Errorf("8.8.8.8 was let through: %s", out)
	}
	if !strings.Contains(log.String(), `"client":"8.8.8.8"`) {
		t.Errorf("no audit line for 8.8.8.8: %s", log.String())
	}

	t.Run("http2 and a large list", func(t *testing.T) { testKubeHTTP2Large(t, relay(t, gw, "20.20.20.20"), ca, admin) })
	// Last: it removes 20.20.20.20 from the list.
	t.Run("watch", func(t *testing.T) { testKubeWatchRevoked(t, fixed, cfg, kube.Addr()) })
}

// testKubeWatchRevoked: a watch from 20.20.20.20 survives an unrelated
// list update and is cut within 1 s once 20.20.20.20 leaves the list.
func testKubeWatchRevoked(t *testing.T, k kubeClient, cfg, upstream string) {
	var out testutil.SyncBuffer
	w := k.cmd("get", "configmaps", "-w", "-o", "name", "--request-timeout=0")
	w.Stdout, w.Stderr = &out, &out
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan time.Time, 1)
	go func() { w.Wait(); exited <- time.Now() }()
	defer w.Process.Kill()
	waitFor(t, 10*time.Second, "watch lists existing configmaps", func() bool { return strings.Contains(out.String(), "configmap/one") })

	writeKubeGatewayConfig(t, cfg, upstream, "AzureCloud", "20.20.20.20", "20.20.20.21")
	time.Sleep(500 * time.Millisecond) // the reload is applied
	k.must("create", "configmap", "after-unrelated-update")
	waitFor(t, 10*time.Second, "watch sees an event after an unrelated update", func() bool {
		return strings.Contains(out.String(), "configmap/after-unrelated-update")
	})
	select {
	case <-exited:
		t.Fatalf("watch ended on an unrelated update: %s", out.String())
	default:
	}

	removed := time.Now()
	writeKubeGatewayConfig(t, cfg, upstream, "AzureCloud", "20.20.20.21")
	select {
	case at := <-exited:
		t.Logf("watch cut %s after its address left the list", at.Sub(removed).Round(time.Millisecond))
		if d := at.Sub(removed); d > time.Second {
			t.Errorf("watch cut after %s, want ≤ 1s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("watch still open 5 s after its address left the list: %s", out.String())
	}
	if _, err := k.run("get", "--raw", "/api/v1/namespaces/default/configmaps"); err == nil {
		t.Error("20.20.20.20 still let through after it left the list")
	}
}

// testKubeHTTP2Large checks HTTP/2 (negotiated by ALPN through the front
// door, which never terminates TLS) and a list response over 5 MB.
func testKubeHTTP2Large(t *testing.T, server string, ca *pki.CA, admin kubeapi.ClientCert) {
	pair, err := tls.X509KeyPair(admin.CertPEM, admin.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: kubeSNI}}}
	value := strings.Repeat("x", 900<<10)
	start := time.Now()
	for i := range 6 {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big-%d"},"data":{"v":%q}}`, i, value)
		resp, err := c.Post("https://"+server+"/api/v1/namespaces/default/configmaps", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create big-%d: %s", i, resp.Status)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("create big-%d over %s, want HTTP/2", i, resp.Proto)
		}
	}
	t.Logf("6 creates of 900 KiB took %v", time.Since(start).Round(time.Millisecond))
	listStart := time.Now()
	resp, err := c.Get("https://" + server + "/api/v1/namespaces/default/configmaps")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %s, %d bytes, %v", resp.Status, n, err)
	}
	if n < 5<<20 {
		t.Errorf("list response %d bytes, want > 5 MiB", n)
	}
	t.Logf("list of %d bytes over %s in %v", n, resp.Proto, time.Since(listStart).Round(time.Millisecond))
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
