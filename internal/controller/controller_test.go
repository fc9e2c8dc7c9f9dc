package controller_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

const sub = "00000000-1111-2222-3333-444444444444"

var system = netip.MustParsePrefix("203.0.113.0/24")

// catalog builds a one-document catalog with the given tags (name → cn, prefixes).
func catalog(cn int64, tags ...servicetag.Tag) *servicetag.Catalog {
	return servicetag.NewCatalog(&servicetag.Document{Cloud: "Public", ChangeNumber: cn, Tags: tags})
}

func tag(name string, cn int64, prefixes ...string) servicetag.Tag {
	t := servicetag.Tag{Name: name, ID: name, ChangeNumber: cn}
	for _, p := range prefixes {
		t.Prefixes = append(t.Prefixes, netip.MustParsePrefix(p))
	}
	return t
}

type harness struct {
	st      *memstore.Store
	ctrl    *controller.Controller
	cat     atomic.Pointer[servicetag.Catalog]
	mu      sync.Mutex
	routes  []controller.Route
	applies int
}

func start(t *testing.T, cat *servicetag.Catalog) *harness {
	t.Helper()
	h := &harness{st: memstore.New()}
	h.cat.Store(cat)
	var err error
	h.ctrl, err = controller.New(controller.Config{Store: h.st, Catalog: h.cat.Load,
		SystemRanges: []netip.Prefix{system},
		Apply: func(r []controller.Route) {
			h.mu.Lock()
			h.routes, h.applies = r, h.applies+1
			h.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.ctrl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *harness) route(sni string) (controller.Route, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.routes {
		if r.SNI == sni {
			return r, true
		}
	}
	return controller.Route{}, false
}

// put stores a cluster (Creating, next generation) and its operation, and
// waits until the controller applied it.
func (h *harness) put(t *testing.T, name string, ranges ...string) string {
	t.Helper()
	ctx := context.Background()
	mc := state.ManagedCluster{Subscription: sub, ResourceGroup: "rg", Name: name, Location: "eastus",
		FQDN: name + ".eastus.test", ProvisioningState: state.Creating, Generation: 1, OperationID: "op-" + name}
	mc.Access.AuthorizedIPRanges = ranges
	var rev int64
	if kv, err := h.st.Get(ctx, mc.Key()); err == nil {
		var old state.ManagedCluster
		_ = state.Decode(kv.Key, kv.Value, &old)
		mc.Generation, mc.ProvisioningState, rev = old.Generation+1, state.Updating, kv.ModRevision
	}
	op := state.Operation{ID: "op-" + name, Subscription: sub, Kind: state.OpCreate, ClusterKey: mc.Key(),
		Generation: mc.Generation, Status: "InProgress", StartTime: time.Now()}
	b, _ := state.Encode(op)
	if _, err := h.st.Put(ctx, state.OperationKey(op.ID), b); err != nil {
		t.Fatal(err)
	}
	b, _ = state.Encode(mc)
	var err error
	if rev == 0 {
		rev, err = h.st.Create(ctx, mc.Key(), b)
	} else {
		rev, err = h.st.Update(ctx, mc.Key(), b, rev)
	}
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, rev)
	return mc.FQDN
}

func (h *harness) wait(t *testing.T, rev int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.ctrl.WaitApplied(ctx, rev); err != nil {
		t.Fatalf("wait for revision %d: %v", rev, err)
	}
}

func (h *harness) cluster(t *testing.T, name string) state.ManagedCluster {
	t.Helper()
	kv, err := h.st.Get(context.Background(), state.ClusterKey(sub, "rg", name))
	if err != nil {
		t.Fatal(err)
	}
	var mc state.ManagedCluster
	if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
		t.Fatal(err)
	}
	return mc
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCompile(t *testing.T) {
	h := start(t, catalog(1, tag("AzureCloud", 5, "20.0.0.0/11", "2603:1000::/40")))
	tests := []struct {
		name   string
		ranges []string
		allow  []string
		deny   []string
	}{
		{name: "disabled admits all", ranges: nil, allow: []string{"8.8.8.8", "2001:db8::1"}},
		{name: "egress only admits system ranges", ranges: []string{"0.0.0.0/32"}, allow: []string{"203.0.113.9"}, deny: []string{"8.8.8.8", "0.0.0.0"}},
		{name: "plain", ranges: []string{"20.20.20.20/32"}, allow: []string{"20.20.20.20", "203.0.113.9"}, deny: []string{"20.20.20.21", "8.8.8.8"}},
		{name: "tag and ip", ranges: []string{"AzureCloud", "30.30.30.30/32"}, allow: []string{"20.1.2.3", "2603:1000::5", "30.30.30.30", "::ffff:20.1.2.3"}, deny: []string{"8.8.8.8", "20.32.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sni := h.put(t, "c", tt.ranges...)
			r, ok := h.route(sni)
			if !ok {
				t.Fatal("no route")
			}
			for _, a := range tt.allow {
				if !r.Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s denied", a)
				}
			}
			for _, a := range tt.deny {
				if r.Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s admitted", a)
				}
			}
			eventually(t, "Succeeded", func() bool {
				mc := h.cluster(t, "c")
				return mc.ProvisioningState == state.Succeeded && mc.AppliedGeneration == mc.Generation
			})
			eventually(t, "operation Succeeded", func() bool {
				kv, err := h.st.Get(context.Background(), state.OperationKey("op-c"))
				var op state.Operation
				return err == nil && state.Decode(kv.Key, kv.Value, &op) == nil && op.Status == "Succeeded"
			})
		})
	}
}

// TestCatalogChanged: a new tag version recompiles only the clusters that
// use the tag; a vanished tag keeps its last good prefixes and degrades.
func TestCatalogChanged(t *testing.T) {
	h := start(t, catalog(1, tag("AzureCloud", 5, "20.0.0.0/11"), tag("Storage", 3, "52.0.0.0/8")))
	a := h.put(t, "a", "AzureCloud")
	b := h.put(t, "b", "Storage", "20.20.20.20/32")
	ra, _ := h.route(a)
	rb, _ := h.route(b)

	h.cat.Store(catalog(2, tag("AzureCloud", 6, "40.0.0.0/8"), tag("Storage", 3, "52.0.0.0/8")))
	h.ctrl.CatalogChanged()
	eventually(t, "AzureCloud cn 6 enforced", func() bool { return h.cluster(t, "a").Status.EnforcedServiceTags["AzureCloud"] == 6 })
	ra2, _ := h.route(a)
	rb2, _ := h.route(b)
	if ra2.Version == ra.Version || !ra2.Allow.Contains(netip.MustParseAddr("40.1.1.1")) || ra2.Allow.Contains(netip.MustParseAddr("20.1.1.1")) {
		t.Fatalf("cluster a not recompiled: %s → %s", ra.Version, ra2.Version)
	}
	if rb2.Allow != rb.Allow || rb2.Version != rb.Version {
		t.Fatal("cluster b recompiled although Storage did not change")
	}

	h.cat.Store(catalog(3, tag("Storage", 3, "52.0.0.0/8")))
	h.ctrl.CatalogChanged()
	eventually(t, "a degraded", func() bool { return h.cluster(t, "a").Status.Degraded })
	ra3, _ := h.route(a)
	if !ra3.Allow.Contains(netip.MustParseAddr("40.1.1.1")) {
		t.Fatal("vanished tag lost its last good prefixes")
	}
	if ra3.Allow.Contains(netip.MustParseAddr("8.8.8.8")) {
		t.Fatal("vanished tag failed open")
	}
	t.Log(h.cluster(t, "a").Status.Message)
}

// TestNoCatalog: a tag with no catalog admits nobody (fail closed) and the
// cluster is degraded; its plain entries still work.
func TestNoCatalog(t *testing.T) {
	h := start(t, nil)
	sni := h.put(t, "a", "AzureCloud", "20.20.20.20/32")
	r, _ := h.route(sni)
	if r.Allow == nil || !r.Allow.Contains(netip.MustParseAddr("20.20.20.20")) || r.Allow.Contains(netip.MustParseAddr("20.1.1.1")) {
		t.Fatal("no-catalog list is wrong")
	}
	eventually(t, "degraded", func() bool { return h.cluster(t, "a").Status.Degraded })
}

func TestDelete(t *testing.T) {
	h := start(t, nil)
	sni := h.put(t, "a", "20.20.20.20/32")
	eventually(t, "Succeeded", func() bool { return h.cluster(t, "a").ProvisioningState == state.Succeeded })
	ctx := context.Background()
	kv, _ := h.st.Get(ctx, state.ClusterKey(sub, "rg", "a"))
	var mc state.ManagedCluster
	_ = state.Decode(kv.Key, kv.Value, &mc)
	mc.ProvisioningState, mc.OperationID = state.Deleting, "op-del"
	op := state.Operation{ID: "op-del", Subscription: sub, Kind: state.OpDelete, ClusterKey: mc.Key(), Status: "InProgress", StartTime: time.Now()}
	b, _ := state.Encode(op)
	_, _ = h.st.Put(ctx, state.OperationKey(op.ID), b)
	b, _ = state.Encode(mc)
	rev, err := h.st.Update(ctx, mc.Key(), b, kv.ModRevision)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, rev)
	if _, ok := h.route(sni); ok {
		t.Fatal("route still installed")
	}
	eventually(t, "record removed", func() bool {
		_, err := h.st.Get(ctx, mc.Key())
		return errors.Is(err, store.ErrNotFound)
	})
	eventually(t, "delete op Succeeded", func() bool {
		kv, err := h.st.Get(ctx, state.OperationKey("op-del"))
		return err == nil && state.Decode(kv.Key, kv.Value, &op) == nil && op.Status == "Succeeded"
	})
}

func TestFeatureTimer(t *testing.T) {
	h := start(t, nil)
	ctx := context.Background()
	f := state.Feature{Subscription: sub, Namespace: state.ContainerService, Name: state.FeatureServiceTags,
		State: state.FeatureRegistering, Deadline: time.Now().Add(100 * time.Millisecond)}
	b, _ := state.Encode(f)
	key := state.FeatureKey(sub, f.Namespace, f.Name)
	if _, err := h.st.Put(ctx, key, b); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Registered", func() bool {
		kv, err := h.st.Get(ctx, key)
		return err == nil && state.Decode(kv.Key, kv.Value, &f) == nil && f.State == state.FeatureRegistered
	})
	if f.RegisteredAt.IsZero() {
		t.Fatal("RegisteredAt not recorded")
	}
}
