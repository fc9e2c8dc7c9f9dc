package kubefleet_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/kubefleet"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// TestFleetSync runs real kube-apiservers (skipped without one; scripts/test
// builds it): Sync starts the clusters up to Max and reports the rest, a
// version change restarts a cluster's apiserver emulating the new minor on
// the same data, a cluster removed and named again at once comes back
// with its data after the removal, and a cluster left out of Sync is
// stopped and its keys deleted.
func TestFleetSync(t *testing.T) {
	bin := os.Getenv(kubeapi.EnvBinary)
	if bin == "" {
		t.Skipf("%s is not set: run scripts/kube-apiserver (scripts/test does)", kubeapi.EnvBinary)
	}
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	f, err := kubefleet.New(kubefleet.Config{Binary: bin, Dir: t.TempDir(), EtcdServers: eps, EtcdPrefix: "/fleet/", Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ca, err := pki.NewCA("fleet test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := kubefleet.Cluster{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a",
		FQDN: "a.test", CA: ca, Version: "1.32"}
	b := a
	b.ID, b.FQDN = strings.TrimSuffix(a.ID, "/a")+"/b", "b.test"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The cap: one runs, the other is reported and gets no address.
	addrs, err := f.Sync([]kubefleet.Cluster{a, b})
	if len(addrs) != 1 || err == nil || !strings.Contains(err.Error(), "--max-kube-apiservers") {
		t.Fatalf("Sync of 2 with Max 1: %v, %v", addrs, err)
	}
	run := a
	if _, ok := addrs[a.ID]; !ok {
		run = b
	}
	if err := f.Wait(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if v := version(t, f, ca, run.ID); v != "32" {
		t.Fatalf("emulationMinor %q, want 32", v)
	}

	// An upgrade: a new apiserver on the same data, emulating 1.33.
	etcd, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	keys := func() int64 {
		resp, err := etcd.Get(ctx, "/fleet/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Count
	}
	before := keys()
	up := run
	up.Version = "1.33"
	addrs, err = f.Sync([]kubefleet.Cluster{up})
	if err != nil || len(addrs) != 1 {
		t.Fatalf("Sync after the upgrade: %v %v", addrs, err)
	}
	if err := f.Wait(ctx, up.ID); err != nil {
		t.Fatal(err)
	}
	if v := version(t, f, ca, up.ID); v != "33" {
		t.Fatalf("emulationMinor after the upgrade %q, want 33", v)
	}
	if n := keys(); n < before {
		t.Fatalf("keys after the upgrade: %d, before %d", n, before)
	}

	// Removal, and the same id again at once: the new apiserver starts
	// after the removal is over, so its data is not deleted under it.
	if _, err := f.Sync(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Sync([]kubefleet.Cluster{up}); err != nil {
		t.Fatal(err)
	}
	if err := f.Wait(ctx, up.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := keys(); n == 0 {
		t.Fatal("the cluster created again has no keys: its data was deleted by the removal")
	}
	if v := version(t, f, ca, up.ID); v != "33" {
		t.Fatalf("emulationMinor of the cluster created again %q, want 33", v)
	}

	// Removal: stopped, its keys deleted.
	if _, err := f.Sync(nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for keys() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d keys left 30 s after the cluster left the fleet", keys())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// version reads /version's emulationMinor from the cluster's apiserver.
func version(t *testing.T, f *kubefleet.Fleet, ca *pki.CA, id string) string {
	t.Helper()
	p, ok := f.Process(id)
	if !ok {
		t.Fatalf("no process for %s", id)
	}
	cc, err := kubeapi.IssueClient(ca, "admin", []string{kubeapi.MastersGroup}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(cc.CertPEM, cc.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"}}}
	resp, err := hc.Get("https://" + p.Addr() + "/version")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ EmulationMinor string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.EmulationMinor
}
