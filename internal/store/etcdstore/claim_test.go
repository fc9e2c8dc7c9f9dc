package etcdstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

func TestClaimer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	client := newClient(t, eps)
	c := etcdstore.NewClaimer(client, "/claims/", time.Second)

	t.Run("exclusive", func(t *testing.T) {
		var wins atomic.Int32
		var releases sync.Map
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				release, ok, err := c.TryClaim(ctx, "refresh")
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					wins.Add(1)
					releases.Store(i, release)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d owners of one claim, want 1", wins.Load())
		}
		releases.Range(func(_, r any) bool { r.(func())(); r.(func())(); return true })
		release, ok, err := c.TryClaim(ctx, "refresh")
		if err != nil || !ok {
			t.Fatalf("claim after release: ok %v, %v", ok, err)
		}
		defer release()
		other, ok, err := c.TryClaim(ctx, "other-job")
		if err != nil || !ok {
			t.Fatalf("claim on another name: ok %v, %v", ok, err)
		}
		other()
	})

	t.Run("owner death frees the claim", func(t *testing.T) {
		owner, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		claim, ok, err := etcdstore.NewClaimer(owner, "/claims/", time.Second).TryClaimLease(ctx, "gc")
		if err != nil || !ok {
			t.Fatalf("first claim: ok %v, %v", ok, err)
		}
		if _, ok, _ := c.TryClaim(ctx, "gc"); ok {
			t.Fatal("claim taken while held")
		}
		owner.Close() // the owner dies without releasing
		select {
		case <-claim.Done():
		case <-ctx.Done():
			t.Fatal("dead owner's claim never reported lost")
		}
		for {
			release, ok, err := c.TryClaim(ctx, "gc")
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				release()
				return
			}
			select {
			case <-ctx.Done():
				t.Fatal("claim not freed after the owner's lease expired")
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}
