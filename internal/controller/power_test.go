package controller_test

import (
	"context"
	"testing"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/state"
)

// modify rewrites the stored cluster with f (next generation, Updating)
// and waits until the controller applied it.
func (h *harness) modify(t *testing.T, name string, f func(mc *state.ManagedCluster)) {
	t.Helper()
	ctx := context.Background()
	key := state.ClusterKey(sub, "rg", name)
	kv, err := h.st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var mc state.ManagedCluster
	if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
		t.Fatal(err)
	}
	f(&mc)
	mc.Generation++
	mc.ProvisioningState = state.Updating
	b, _ := state.Encode(mc)
	rev, err := h.st.Update(ctx, key, b, kv.ModRevision)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, rev)
}

// TestRouteFollowsPowerAndVersion: the route of a stopped cluster is
// Stopped in the first table applied after the write, start clears it,
// and a version change is in the route at once (the server restarts the
// stand-in from it).
func TestRouteFollowsPowerAndVersion(t *testing.T) {
	h := start(t, nil)
	sni := h.put(t, "c1", "20.20.20.20")
	check := func(step string, stopped bool, version string) {
		t.Helper()
		r, ok := h.route(sni)
		if !ok || r.Stopped != stopped || r.KubernetesVersion != version {
			t.Fatalf("%s: route %+v (found %v), want Stopped=%v KubernetesVersion=%q", step, r, ok, stopped, version)
		}
	}
	check("created", false, "")
	h.modify(t, "c1", func(mc *state.ManagedCluster) { mc.PowerState = state.PowerStopped })
	check("stopped", true, "")
	h.modify(t, "c1", func(mc *state.ManagedCluster) { mc.PowerState = state.PowerRunning })
	check("started", false, "")
	h.modify(t, "c1", func(mc *state.ManagedCluster) { mc.KubernetesVersion = "1.33.2" })
	check("upgraded", false, "1.33.2")
	h.modify(t, "c1", func(mc *state.ManagedCluster) { mc.KubernetesVersion = "1.34" })
	newest, _ := aksref.ResolveKubernetesVersion("1.34")
	check("minor alias", false, newest)
}
