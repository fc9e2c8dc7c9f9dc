package controller_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/state"
)

// TestDegradedStatus: the route compiler's notes reach the cluster's
// status (what `aks show` prints) and its counts; deleting the cluster
// releases its state.
func TestDegradedStatus(t *testing.T) {
	h := start(t, catalog(1, tag("AzureCloud", 5, "20.0.0.0/11"), tag("Storage", 3, "52.0.0.0/8")))
	h.put(t, "a", "AzureCloud", "20.20.20.20/32")
	h.put(t, "b", "Nope")
	eventually(t, "b degraded", func() bool { return h.cluster(t, "b").Status.Degraded })
	if msg := h.cluster(t, "b").Status.Message; !strings.Contains(msg, `tag "Nope" is not in the service-tag data: it admits nobody`) {
		t.Fatalf("message %q", msg)
	}
	h.cat.Store(catalog(2, tag("Storage", 3, "52.0.0.0/8")))
	h.ctrl.CatalogChanged()
	eventually(t, "a degraded", func() bool { return h.cluster(t, "a").Status.Degraded })
	st := h.cluster(t, "a").Status
	if !strings.Contains(st.Message, `tag "AzureCloud" is missing from the service-tag data in force: serving its last good prefixes (changeNumber 5)`) ||
		st.EnforcedServiceTags["AzureCloud"] != 5 {
		t.Fatalf("status %+v", st)
	}
	if s := h.ctrl.CompileStats(); s.Lists != 2 || s.Degraded != 2 || s.StaleTags != 1 || s.TagSets != 1 {
		t.Fatalf("stats %v", s)
	}
	// Delete b: its list state goes.
	ctx := context.Background()
	kv, _ := h.st.Get(ctx, state.ClusterKey(sub, "rg", "b"))
	rev, err := h.st.Delete(ctx, kv.Key, kv.ModRevision)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, rev)
	if s := h.ctrl.CompileStats(); s.Lists != 1 || s.Degraded != 1 {
		t.Fatalf("stats after delete %v", s)
	}
	// AzureCloud back: a is no longer degraded and admits the new prefixes.
	h.cat.Store(catalog(3, tag("AzureCloud", 6, "40.0.0.0/8")))
	h.ctrl.CatalogChanged()
	eventually(t, "a healthy", func() bool { return !h.cluster(t, "a").Status.Degraded })
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, _ := h.route("a.eastus.test")
		if r.Allow.Contains(netip.MustParseAddr("40.1.1.1")) && !r.Allow.Contains(netip.MustParseAddr("20.1.1.1")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("new AzureCloud not applied")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
