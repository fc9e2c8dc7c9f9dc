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

// TestClaimerLock: Lock is a waiting mutual exclusion across clients (two
// replicas): holders never overlap, every waiter gets its turn, a released
// lock is free at once, and a ctx that ends while waiting returns its
// error without the lock.
func TestClaimerLock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	claimers := []*etcdstore.Claimer{
		etcdstore.NewClaimer(newClient(t, eps), "/claims/", 5*time.Second),
		etcdstore.NewClaimer(newClient(t, eps), "/claims/", 5*time.Second),
	}
	var inside, most, turns atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			unlock, err := claimers[i%2].Lock(ctx, "quota/x")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			turns.Add(1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() != 1 || turns.Load() != 8 {
		t.Fatalf("at most %d holders at once over %d turns, want 1 over 8", most.Load(), turns.Load())
	}
	unlock, err := claimers[0].Lock(ctx, "quota/x")
	if err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if _, err := claimers[1].Lock(short, "quota/x"); err == nil {
		t.Fatal("a second holder while the lock is held")
	}
	if u2, err := claimers[1].Lock(ctx, "quota/other"); err != nil {
		t.Fatalf("another name: %v", err)
	} else {
		u2()
	}
	unlock()
	if u3, err := claimers[1].Lock(ctx, "quota/x"); err != nil {
		t.Fatalf("after unlock: %v", err)
	} else {
		u3()
	}
}
