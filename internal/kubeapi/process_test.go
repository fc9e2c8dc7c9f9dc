package kubeapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// binary returns the kube-apiserver to test with, or skips: scripts/test
// always sets it (building the binary once per machine), so CI runs these.
func binary(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv(kubeapi.EnvBinary)
	if p == "" {
		tb.Skipf("%s is not set: run scripts/kube-apiserver and export its path to test against a real kube-apiserver", kubeapi.EnvBinary)
	}
	return p
}

func TestStartServesAndStops(t *testing.T) {
	bin := binary(t)
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not installed")
	}
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	ca, err := pki.NewCA("test kube CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := kubeapi.Config{Binary: bin, Dir: dir, EtcdServers: eps, EtcdPrefix: "/tagwall/kube/a", CA: ca}
	p, err := kubeapi.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver ready at %s, RSS %d MiB", p.Addr(), p.RSS()>>20)
	cc, err := kubeapi.IssueClient(ca, "admin", []string{kubeapi.MastersGroup}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, kubeapi.Kubeconfig(kubeapi.KubeconfigSpec{Context: "a", Server: "https://" + p.Addr(), CAPEM: ca.CertPEM, Client: cc}), 0o600)
	kubectl := func(args ...string) string {
		out, err := exec.Command("kubectl", append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	kubectl("create", "configmap", "kept", "--from-literal=k=v")
	if out := kubectl("version", "-o", "json"); !strings.Contains(out, `"gitVersion": "v1.34.2"`) {
		t.Errorf("server version: %s", out)
	}
	// A second apiserver on another prefix of the same etcd sees none of it.
	p2, err := kubeapi.Start(context.Background(), kubeapi.Config{Binary: bin, Dir: t.TempDir(), EtcdServers: eps, EtcdPrefix: "/tagwall/kube/b", CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	p.Stop()
	select {
	case <-p.Err():
	case <-time.After(10 * time.Second):
		t.Fatal("Err did not report the stop")
	}
	// Restart on the same dir and prefix: the data is still there.
	p, err = kubeapi.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	defer p2.Stop()
	os.WriteFile(kc, kubeapi.Kubeconfig(kubeapi.KubeconfigSpec{Context: "a", Server: "https://" + p.Addr(), CAPEM: ca.CertPEM, Client: cc}), 0o600)
	if out := kubectl("get", "configmap", "kept", "-o", "jsonpath={.data.k}"); out != "v" {
		t.Errorf("configmap after restart: %q", out)
	}
	os.WriteFile(kc, kubeapi.Kubeconfig(kubeapi.KubeconfigSpec{Context: "b", Server: "https://" + p2.Addr(), CAPEM: ca.CertPEM, Client: cc}), 0o600)
	if out, err := exec.Command("kubectl", "--kubeconfig", kc, "get", "configmap", "kept").CombinedOutput(); err == nil || !strings.Contains(string(out), "NotFound") {
		t.Errorf("prefix b sees prefix a's configmap: %v %s", err, out)
	}
}
