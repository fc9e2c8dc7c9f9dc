package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/testutil"
)

// TestServeWithRealKubeAPIServer: `serve --kube-apiserver` gives a cluster
// a real Kubernetes API. `tagwall aks create` → `aks get-credentials`
// (a client certificate, clusterUser_<rg>_<name>) → kubectl creates and
// lists a configmap through the front door; after a restart the configmap
// is still there; `aks delete` stops the apiserver and deletes its keys.
func TestServeWithRealKubeAPIServer(t *testing.T) {
	bin := os.Getenv(kubeapi.EnvBinary)
	if bin == "" {
		t.Skipf("%s is not set: run scripts/kube-apiserver (scripts/test does)", kubeapi.EnvBinary)
	}
	dir := t.TempDir()
	clientCfg := filepath.Join(dir, "client.json")
	t.Setenv("TAGWALL_CONFIG", clientCfg)
	cfg := server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		ServiceTags:      []string{shared(t, "azure-germany-2022-03-07.json")},
		SystemRanges:     []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, // kubectl connects from loopback
		ClientConfigPath: clientCfg, KubeAPIServer: bin, MaxKubeAPIServers: 2,
	}
	start := func() *server.Main {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		m, err := server.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := start()
	defer func() { m.Close() }()
	cli := func(args ...string) string { t.Helper(); return mustTagwall(t, args...) }
	cli("group", "create", "--name", "rg", "--location", "eastus")
	cli("aks", "create", "--resource-group", "rg", "--name", "real", "--api-server-authorized-ip-ranges", "20.20.20.20", "--generate-ssh-keys",
		"--kubernetes-version", "1.33")
	kc := filepath.Join(dir, "kubeconfig")
	cli("aks", "get-credentials", "--resource-group", "rg", "--name", "real", "--file", kc)
	if b, _ := os.ReadFile(kc); !strings.Contains(string(b), "clusterUser_rg_real") || !strings.Contains(string(b), "client-certificate-data") {
		t.Fatalf("kubeconfig has no client certificate for clusterUser_rg_real:\n%s", b)
	}
	k := kubeClient{t, kc}
	waitFor(t, 120*time.Second, "the cluster's kube-apiserver answers through the front door", func() bool {
		_, err := k.run("get", "namespaces")
		return err == nil
	})
	k.must("create", "configmap", "kept", "--from-literal=k=v")
	if out := k.must("get", "configmaps", "-o", "name"); !strings.Contains(out, "configmap/kept") {
		t.Fatalf("get configmaps: %s", out)
	}
	pids := kubeAPIServerPids(t, cfg.DataDir)
	if len(pids) != 1 {
		t.Fatalf("%d kube-apiserver processes for the data dir, want 1", len(pids))
	}
	if rss := procRSS(pids[0]); rss > 0 {
		t.Logf("kube-apiserver RSS %d MiB", rss>>20)
	}

	// The monitoring user's kubeconfig (listClusterMonitoringUserCredential):
	// group system:monitoring, so the health endpoint answers and the
	// configmaps are forbidden.
	mon := kubeClient{t, monitoringKubeconfig(t, clientCfg, "rg", "real")}
	// The default roles exist once the apiserver's RBAC bootstrap is done
	// (its /readyz), a second or so after it first answers; until then the
	// monitoring user is refused too (fail closed).
	waitFor(t, 60*time.Second, "the kube-apiserver's /readyz", func() bool {
		_, err := k.run("get", "--raw", "/readyz")
		return err == nil
	})
	if out := mon.must("get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("monitoring user GET /readyz: %q", out)
	}
	if out, err := mon.run("get", "--raw", "/api/v1/namespaces/default/configmaps"); err == nil || !strings.Contains(out, "Forbidden") ||
		!strings.Contains(out, "clusterMonitoringUser_rg_real") {
		t.Fatalf("monitoring user read the configmaps (err %v):\n%s", err, out)
	}

	// The apiserver emulates the cluster's minor; an upgrade to the next
	// one restarts it on the same data (aks upgrade: PUT with the version).
	if v := serverVersion(t, k); v.EmulationMajor != "1" || v.EmulationMinor != "33" {
		t.Fatalf("kubectl version before the upgrade: %+v, want emulation 1.33", v)
	}
	upgradeCluster(t, clientCfg, "rg", "real", "1.34")
	waitFor(t, 120*time.Second, "the apiserver emulates 1.34 after the upgrade", func() bool {
		out, err := k.cmd("get", "--raw", "/version").Output()
		var v struct{ EmulationMinor string }
		return err == nil && json.Unmarshal(out, &v) == nil && v.EmulationMinor == "34"
	})
	if out := k.must("get", "configmap", "kept", "-o", "jsonpath={.data.k}"); out != "v" {
		t.Fatalf("the configmap after the upgrade: %q", out)
	}

	// Restart: the configmap is still there.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(kubeAPIServerPids(t, cfg.DataDir)); n != 0 {
		t.Fatalf("%d kube-apiservers still running after Close", n)
	}
	m = start()
	// The test's ports are picked anew at each start: fetch the kubeconfig
	// again for the new front-door address (a fixed --gateway-addr keeps it).
	cli("aks", "get-credentials", "--resource-group", "rg", "--name", "real", "--file", kc, "--overwrite-existing")
	waitFor(t, 120*time.Second, "the configmap after a restart", func() bool {
		out, err := k.run("get", "configmap", "kept", "-o", "jsonpath={.data.k}")
		return err == nil && out == "v"
	})

	// Delete: the apiserver stops and its keys are gone.
	cli("aks", "delete", "--resource-group", "rg", "--name", "real", "--yes")
	waitFor(t, 30*time.Second, "the kube-apiserver stops after aks delete", func() bool {
		return len(kubeAPIServerPids(t, cfg.DataDir)) == 0
	})
	ports, err := os.ReadFile(filepath.Join(cfg.DataDir, "kube-etcd", "ports"))
	if err != nil {
		t.Fatal(err)
	}
	ec, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + strings.Fields(string(ports))[1]}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	waitFor(t, 30*time.Second, "the cluster's keys are deleted", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := ec.Get(ctx, "/tagwall/kube/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 0
	})
}

// serverVersion is the apiserver's /version, read raw (kubectl version
// re-encodes it with its own client's fields, which may predate the
// emulation ones).
func serverVersion(t *testing.T, k kubeClient) (v struct{ GitVersion, EmulationMajor, EmulationMinor string }) {
	t.Helper()
	b, err := k.cmd("get", "--raw", "/version").Output()
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatalf("GET /version: %v: %s", err, b)
	}
	return v
}

// armRequest sends one ARM request with the client config's token and
// decodes the JSON answer.
func armRequest(t *testing.T, clientCfg, method, path string, body any) (int, map[string]any) {
	t.Helper()
	cc, err := clientconfig.Load(clientCfg)
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, cc.Endpoint+"subscriptions/"+cc.Subscription+path, rd)
	req.Header.Set("Authorization", "Bearer "+cc.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := testutil.HTTPSClient(t, cc.CAFile).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// upgradeCluster PUTs the cluster back with kubernetesVersion v, as az aks
// upgrade does, and waits for Succeeded.
func upgradeCluster(t *testing.T, clientCfg, rg, name, v string) {
	t.Helper()
	path := "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/managedClusters/" + name + "?api-version=2025-07-01"
	code, mc := armRequest(t, clientCfg, http.MethodGet, path, nil)
	if code != http.StatusOK {
		t.Fatalf("GET cluster: %d %v", code, mc)
	}
	mc["properties"].(map[string]any)["kubernetesVersion"] = v
	if code, body := armRequest(t, clientCfg, http.MethodPut, path, mc); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("PUT kubernetesVersion %s: %d %v", v, code, body)
	}
	waitFor(t, 30*time.Second, "the upgrade Succeeded", func() bool {
		_, mc := armRequest(t, clientCfg, http.MethodGet, path, nil)
		p, _ := mc["properties"].(map[string]any)
		return p["provisioningState"] == "Succeeded" && strings.HasPrefix(fmt.Sprint(p["currentKubernetesVersion"]), v)
	})
}

// monitoringKubeconfig POSTs listClusterMonitoringUserCredential with the
// client config's token and writes the kubeconfig it answers to a file.
func monitoringKubeconfig(t *testing.T, clientCfg, rg, name string) string {
	t.Helper()
	cc, err := clientconfig.Load(clientCfg)
	if err != nil {
		t.Fatal(err)
	}
	u := cc.Endpoint + "subscriptions/" + cc.Subscription + "/resourceGroups/" + rg +
		"/providers/Microsoft.ContainerService/managedClusters/" + name + "/listClusterMonitoringUserCredential?api-version=2025-07-01"
	req, _ := http.NewRequest(http.MethodPost, u, nil)
	req.Header.Set("Authorization", "Bearer "+cc.Token)
	resp, err := testutil.HTTPSClient(t, cc.CAFile).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Kubeconfigs []struct {
			Name  string
			Value []byte // base64 in JSON, as the SDK decodes it
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Kubeconfigs) != 1 ||
		out.Kubeconfigs[0].Name != "clusterMonitoringUser" {
		t.Fatalf("listClusterMonitoringUserCredential: %d %v %+v", resp.StatusCode, err, out)
	}
	f := filepath.Join(t.TempDir(), "monitoring.kubeconfig")
	if err := os.WriteFile(f, out.Kubeconfigs[0].Value, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// kubeAPIServerPids lists the kube-apiserver processes whose command line
// names a file under dataDir.
func kubeAPIServerPids(t *testing.T, dataDir string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []int
	for _, e := range ents {
		pid := 0
		for _, c := range e.Name() {
			if c < '0' || c > '9' {
				pid = -1
				break
			}
			pid = pid*10 + int(c-'0')
		}
		if pid <= 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmd := string(b)
		if strings.Contains(cmd, "kube-apiserver") && strings.Contains(cmd, dataDir) {
			if st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); strings.Contains(string(st), ") Z ") {
				continue // a zombie is gone
			}
			out = append(out, pid)
		}
	}
	return out
}

// TestServeUpstreamRealKube: `serve --upstream CLUSTER=HOST:PORT,ca=FILE`
// puts the front door of the managed API in front of an operator's real
// kube-apiserver: kubectl with the operator's client certificate reaches
// it as 20.20.20.20 (PROXY header from a trusted loopback relay) and is
// refused as 8.8.8.8.
func TestServeUpstreamRealKube(t *testing.T) {
	bin := os.Getenv(kubeapi.EnvBinary)
	if bin == "" {
		t.Skipf("%s is not set: run scripts/kube-apiserver (scripts/test does)", kubeapi.EnvBinary)
	}
	dir := t.TempDir()
	ca, err := pki.NewCA("operator kube CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "kube-ca.crt")
	os.WriteFile(caFile, ca.CertPEM, 0o600)
	port, err := freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	upstream := fmt.Sprintf("127.0.0.1:%d", port)
	clientCfg := filepath.Join(dir, "client.json")
	t.Setenv("TAGWALL_CONFIG", clientCfg)
	m, err := server.New(context.Background(), server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		ServiceTags:      []string{shared(t, testutil.PublicTags)},
		TrustedProxies:   []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Upstreams:        []server.Upstream{{Cluster: "ops", Addr: upstream, CAFile: caFile}},
		ClientConfigPath: clientCfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cli := func(args ...string) string { t.Helper(); return mustTagwall(t, args...) }
	cli("group", "create", "--name", "rg", "--location", "eastus")
	cli("aks", "create", "--resource-group", "rg", "--name", "ops", "--api-server-authorized-ip-ranges", "20.20.20.20", "--generate-ssh-keys")
	fqdn := strings.TrimSpace(cli("aks", "show", "--resource-group", "rg", "--name", "ops", "--query", "fqdn", "-o", "tsv"))
	// The operator's apiserver carries the cluster's FQDN, the SNI the
	// front door routes by.
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	kube, err := kubeapi.Start(context.Background(), kubeapi.Config{Binary: bin, Dir: filepath.Join(dir, "kube"), EtcdServers: eps,
		EtcdPrefix: "/ops", CA: ca, ServerNames: []string{fqdn}, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer kube.Stop()
	admin, err := kubeapi.IssueClient(ca, "ops-admin", []string{kubeapi.MastersGroup}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in := newKubeClient(t, "in", relay(t, m.GatewayAddr(), "20.20.20.20"), fqdn, ca, admin)
	out := newKubeClient(t, "out", relay(t, m.GatewayAddr(), "8.8.8.8"), fqdn, ca, admin)
	in.must("create", "configmap", "through-serve", "--from-literal=a=b")
	if got := in.must("get", "configmap", "through-serve", "-o", "jsonpath={.data.a}"); got != "b" {
		t.Fatalf("get configmap: %q", got)
	}
	// --raw: a refused kubectl get would retry its discovery for a minute.
	if o, err := out.run("get", "--raw", "/version"); err == nil {
		t.Fatalf("8.8.8.8 was let through: %s", o)
	}
}

func freeTCPPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// mustTagwall runs the CLI in-process and fails the test unless it exits 0.
func mustTagwall(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := tagwall(t, args...)
	if code != 0 {
		t.Fatalf("tagwall %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}
