package claims

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

func newClaims(t *testing.T, eps []string) *Etcd {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return NewEtcd(etcdstore.NewClaimer(c, "/t/claims/", 5*time.Second))
}

// TestClaimHandOver: a claim is held by one replica at a time; holding it
// again is free; Close hands it over at once; Claim after Close is false.
func TestClaimHandOver(t *testing.T) {
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	a, b := newClaims(t, eps), newClaims(t, eps)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok, err := a.Claim(ctx, "x"); !ok || err != nil {
		t.Fatalf("a claims x: %v %v", ok, err)
	}
	if ok, err := a.Claim(ctx, "x"); !ok || err != nil {
		t.Fatalf("a holds x again: %v %v", ok, err)
	}
	if ok, err := b.Claim(ctx, "x"); ok || err != nil {
		t.Fatalf("b claims x held by a: %v %v", ok, err)
	}
	a.Close(ctx)
	if ok, _ := a.Claim(ctx, "y"); ok {
		t.Fatal("claim after Close")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if ok, _ := b.Claim(ctx, "x"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("x not handed over after a closed (within 3 s, lease 5 s)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Release("x")
}

// TestCloseWaitsForReleases: a claim given up by Release is released in
// the background, and Close waits for it: once Close returns, the other
// replica can take the claim at once.
func TestCloseWaitsForReleases(t *testing.T) {
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	a, b := newClaims(t, eps), newClaims(t, eps)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []string{"p", "q", "r"} {
		if ok, err := a.Claim(ctx, n); !ok || err != nil {
			t.Fatalf("a claims %s: %v %v", n, ok, err)
		}
	}
	a.Release("p")
	a.Release("q")
	a.Close(ctx) // r, and waits for p and q
	for _, n := range []string{"p", "q", "r"} {
		if ok, err := b.Claim(ctx, n); !ok || err != nil {
			t.Fatalf("b claims %s right after a's Close: %v %v", n, ok, err)
		}
	}
	b.Close(ctx)
}
