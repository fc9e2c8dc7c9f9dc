package etcdstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

// TestExternalEtcd runs the conformance suite against a real etcd server
// (Debian's etcd-server in CI, started by .ci/etcd.sh) at the comma-separated
// endpoints in TAGWALL_TEST_ETCD_ENDPOINTS. Each run uses a fresh key prefix
// and deletes it afterwards.
func TestExternalEtcd(t *testing.T) {
	endpoints := os.Getenv("TAGWALL_TEST_ETCD_ENDPOINTS")
	if os.Getenv("CI") != "" && endpoints == "" {
		t.Fatal("CI is set but TAGWALL_TEST_ETCD_ENDPOINTS is empty: start etcd with .ci/etcd.sh")
	}
	if endpoints == "" {
		t.Skip("TAGWALL_TEST_ETCD_ENDPOINTS is unset; run eval \"$(.ci/etcd.sh)\" to test against a real etcd")
	}
	client := newClient(t, strings.Split(endpoints, ","))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	status, err := client.Status(ctx, client.Endpoints()[0])
	if err != nil {
		t.Fatalf("etcd at %s: %v", endpoints, err)
	}
	t.Logf("etcd %s at %s", status.Version, endpoints)

	root := fmt.Sprintf("/tagwall-test/%d/", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = client.Delete(ctx, root, clientv3.WithPrefix())
	})
	storetest.Run(t, func(t *testing.T) store.Store {
		return etcdstore.New(client, root+t.Name()+"/")
	})
	t.Run("Claimer", func(t *testing.T) {
		c := etcdstore.NewClaimer(client, root+"claims/", time.Second)
		release, ok, err := c.TryClaim(ctx, "job")
		if err != nil || !ok {
			t.Fatalf("first claim: ok %v, %v", ok, err)
		}
		if _, ok, err := c.TryClaim(ctx, "job"); ok || err != nil {
			t.Fatalf("second claim: ok %v, %v; want false, nil", ok, err)
		}
		release()
	})
}
