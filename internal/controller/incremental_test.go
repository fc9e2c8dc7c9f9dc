package controller_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// changeLog records a controller's Apply and ApplyChanges calls.
type changeLog struct {
	mu     sync.Mutex
	full   [][]controller.Route
	sets   [][]controller.Route
	remove [][]string
}

func (l *changeLog) apply(r []controller.Route) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.full = append(l.full, r)
}

func (l *changeLog) changes(set []controller.Route, remove []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sets, l.remove = append(l.sets, set), append(l.remove, remove)
}

func (l *changeLog) counts() (full, changes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.full), len(l.sets)
}

func storeCluster(t *testing.T, st *memstore.Store, gen int64, name string, ranges ...string) int64 {
	t.Helper()
	mc := state.ManagedCluster{Subscription: sub, ResourceGroup: "rg", Name: name, Location: "eastus",
		FQDN: name + ".eastus.test", ProvisioningState: state.Succeeded, Generation: gen, AppliedGeneration: gen}
	mc.Access.AuthorizedIPRanges = ranges
	b, _ := state.Encode(mc)
	rev, err := st.Put(context.Background(), mc.Key(), b)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// TestRestoreThenChanges checks that Restore applies the whole stored
// table before Run, and that Run then passes only the changes.
func TestRestoreThenChanges(t *testing.T) {
	st := memstore.New()
	storeCluster(t, st, 1, "a", "20.20.20.0/24")
	storeCluster(t, st, 1, "b", "30.30.30.0/24")
	var log changeLog
	ctrl, err := controller.New(controller.Config{Store: st, Apply: log.apply, ApplyChanges: log.changes,
		SystemRanges: []netip.Prefix{system}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := ctrl.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if full, _ := log.counts(); full != 1 || len(log.full[0]) != 2 {
		t.Fatalf("after Restore: %d full applies (%v), want 1 with 2 routes", full, log.full)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = ctrl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	rev := storeCluster(t, st, 2, "a", "40.40.40.0/24")
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := ctrl.WaitApplied(wctx, rev); err != nil {
		t.Fatal(err)
	}
	rev, err = st.Delete(ctx, state.ClusterKey(sub, "rg", "b"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctrl.WaitApplied(wctx, rev); err != nil {
		t.Fatal(err)
	}
	full, changes := log.counts()
	if full != 1 || changes != 2 {
		t.Fatalf("%d full applies and %d changes, want 1 and 2 (Run must not list again)", full, changes)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if s := log.sets[0]; len(s) != 1 || s[0].SNI != "a.eastus.test" || !s[0].Allow.Contains(netip.MustParseAddr("40.40.40.1")) {
		t.Errorf("first change set = %v, want cluster a's new list", s)
	}
	if r := log.remove[1]; len(r) != 1 || len(log.sets[1]) != 0 {
		t.Errorf("second change = set %v remove %v, want only b removed", log.sets[1], r)
	}
}
