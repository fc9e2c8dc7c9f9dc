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
)

// benchValue is about the size of a stored managed-cluster document.
var benchValue = make([]byte, 2048)

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

func BenchmarkPut(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i%1000), benchValue); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGet(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%d", i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, fmt.Sprintf("k/%d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkCAS(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	rev, err := s.Put(ctx, "cas", benchValue)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rev, err = s.Update(ctx, "cas", benchValue, rev); err != nil {
			b.Fatal(err)
		}
	}
}
