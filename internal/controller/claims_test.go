package controller_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// fakeClaims is a claim table shared by several controllers: owner names
// who holds each claim; a "ghost" owner stands for a replica that died
// holding it (its lease has not expired yet).
type fakeClaims struct {
	mu     sync.Mutex
	owners map[string]string
	grants map[string]int // name → times granted
}

func newFakeClaims() *fakeClaims {
	return &fakeClaims{owners: map[string]string{}, grants: map[string]int{}}
}

func (f *fakeClaims) set(name, owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if owner == "" {
		delete(f.owners, name)
		return
	}
	f.owners[name] = owner
}

func (f *fakeClaims) granted(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for name, c := range f.grants {
		if strings.HasPrefix(name, prefix) {
			n += c
		}
	}
	return n
}

// replica is one controller's view of the shared table.
type replica struct {
	f    *fakeClaims
	name string
}

func (r replica) Claim(_ context.Context, name string) (bool, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	switch r.f.owners[name] {
	case "":
		r.f.owners[name] = r.name
		r.f.grants[name]++
		return true, nil
	case r.name:
		return true, nil
	}
	return false, nil
}

func (r replica) Release(name string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if r.f.owners[name] == r.name {
		delete(r.f.owners, name)
	}
}

var _ controller.Claims = replica{}

// fleet starts n controllers on one store sharing one claim table.
func fleet(t *testing.T, n int) (*memstore.Store, *fakeClaims, []*atomic.Int64) {
	t.Helper()
	st, claims := memstore.New(), newFakeClaims()
	routes := make([]*atomic.Int64, n)
	for i := range n {
		routes[i] = new(atomic.Int64)
		ctrl, err := controller.New(controller.Config{Store: st, SystemRanges: []netip.Prefix{system},
			Claims: replica{f: claims, name: string(rune('A' + i))},
			Apply:  func(r []controller.Route) { routes[i].Store(int64(len(r))) }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = ctrl.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return st, claims, routes
}

func putCluster(t *testing.T, st *memstore.Store, name string) (clusterKey, opKey string) {
	t.Helper()
	ctx := context.Background()
	mc := state.ManagedCluster{Subscription: sub, ResourceGroup: "rg", Name: name, Location: "eastus",
		FQDN: name + ".eastus.test", ProvisioningState: state.Creating, Generation: 1, OperationID: "op-" + name}
	mc.Access.AuthorizedIPRanges = []string{"20.20.20.20/32"}
	op := state.Operation{ID: "op-" + name, Subscription: sub, Kind: state.OpCreate, ClusterKey: mc.Key(),
		Generation: 1, Status: "InProgress", StartTime: time.Now()}
	b, _ := state.Encode(op)
	if _, err := st.Put(ctx, state.OperationKey(op.ID), b); err != nil {
		t.Fatal(err)
	}
	b, _ = state.Encode(mc)
	if _, err := st.Create(ctx, mc.Key(), b); err != nil {
		t.Fatal(err)
	}
	return mc.Key(), state.OperationKey(op.ID)
}

func opStatus(st *memstore.Store, key string) string {
	kv, err := st.Get(context.Background(), key)
	var op state.Operation
	if err != nil || state.Decode(kv.Key, kv.Value, &op) != nil {
		return ""
	}
	return op.Status
}

// TestClaimsOnce: three controllers on one store all install the route,
// and the operation completes once, under one claim.
func TestClaimsOnce(t *testing.T) {
	st, claims, routes := fleet(t, 3)
	_, opKey := putCluster(t, st, "once")
	eventually(t, "operation Succeeded", func() bool { return opStatus(st, opKey) == "Succeeded" })
	for i, r := range routes {
		eventually(t, "route on replica "+string(rune('A'+i)), func() bool { return r.Load() == 1 })
	}
	time.Sleep(100 * time.Millisecond) // let a lagging replica try
	if n := claims.granted("ops/"); n < 1 || n > 3 {
		t.Fatalf("cluster claim granted %d times", n)
	}
}

// TestClaimTakeover: while a dead replica's claim is held, every
// controller installs the route but nobody completes the operation; once
// the claim is freed (its lease expired) a live controller finishes it.
func TestClaimTakeover(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, st *memstore.Store, claims *fakeClaims)
	}{
		{"operation", func(t *testing.T, st *memstore.Store, claims *fakeClaims) {
			claim := "ops/" + state.ClusterKey(sub, "rg", "takeover")
			claims.set(claim, "ghost")
			_, opKey := putCluster(t, st, "takeover")
			time.Sleep(300 * time.Millisecond)
			if s := opStatus(st, opKey); s != "InProgress" {
				t.Fatalf("operation %s while a dead replica holds its claim", s)
			}
			claims.set(claim, "")
			eventually(t, "operation Succeeded after takeover", func() bool { return opStatus(st, opKey) == "Succeeded" })
		}},
		{"feature timer", func(t *testing.T, st *memstore.Store, claims *fakeClaims) {
			ctx := context.Background()
			f := state.Feature{Subscription: sub, Namespace: state.ContainerService, Name: state.FeatureServiceTags,
				State: state.FeatureRegistering, Deadline: time.Now().Add(50 * time.Millisecond)}
			key := state.FeatureKey(sub, f.Namespace, f.Name)
			claims.set("timers/"+key, "ghost")
			b, _ := state.Encode(f)
			if _, err := st.Put(ctx, key, b); err != nil {
				t.Fatal(err)
			}
			registered := func() bool {
				kv, err := st.Get(ctx, key)
				return err == nil && state.Decode(kv.Key, kv.Value, &f) == nil && f.State == state.FeatureRegistered
			}
			time.Sleep(300 * time.Millisecond)
			if registered() {
				t.Fatal("feature Registered while a dead replica holds its timer's claim")
			}
			claims.set("timers/"+key, "")
			eventually(t, "feature Registered after takeover", registered)
			if f.RegisteredAt.After(time.Now()) || f.RegisteredAt.IsZero() {
				t.Fatalf("RegisteredAt %v", f.RegisteredAt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, claims, _ := fleet(t, 2)
			tt.run(t, st, claims)
		})
	}
}
