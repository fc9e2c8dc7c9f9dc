package etcdstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/store/storetest"
)

// benchStore returns a store on the etcd at TAGWALL_TEST_ETCD_ENDPOINTS if
// set, otherwise on one embedded member, under a fresh prefix.
func benchStore(b *testing.B) *etcdstore.Store {
	b.Helper()
	var client *clientv3.Client
	if eps := os.Getenv("TAGWALL_TEST_ETCD_ENDPOINTS"); eps != "" {
		client = newClient(b, strings.Split(eps, ","))
	} else {
		client = newClient(b, etcdtest.Endpoints(etcdtest.Start(b, 1)))
	}
	prefix := fmt.Sprintf("/tagwall-bench/%d/", time.Now().UnixNano())
	b.Cleanup(func() { _, _ = client.Delete(context.Background(), prefix, clientv3.WithPrefix()) })
	return etcdstore.New(client, prefix)
}

func BenchmarkPut(b *testing.B) { storetest.BenchPut(b, benchStore(b)) }

func BenchmarkGet(b *testing.B) { storetest.BenchGet(b, benchStore(b)) }

func BenchmarkCAS(b *testing.B) { storetest.BenchCAS(b, benchStore(b)) }

// BenchmarkLock is the cost the shared quota lock adds to a create in
// distributed mode: a lease, the lock, its release (on one embedded
// member, or the etcd at TAGWALL_TEST_ETCD_ENDPOINTS), compared with one
// Put of the same store.
func BenchmarkLock(b *testing.B) {
	var client *clientv3.Client
	if eps := os.Getenv("TAGWALL_TEST_ETCD_ENDPOINTS"); eps != "" {
		client = newClient(b, strings.Split(eps, ","))
	} else {
		client = newClient(b, etcdtest.Endpoints(etcdtest.Start(b, 1)))
	}
	c := etcdstore.NewClaimer(client, fmt.Sprintf("/tagwall-bench/%d/claims/", time.Now().UnixNano()), 10*time.Second)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := c.Lock(ctx, "quota/managed-clusters/sub")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}
