package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/testutil"
)

// TestFleetSharesPinsAndHolds: a pin made on one replica is enforced by
// every replica, an unpin on another releases it everywhere; a document
// held by the fetching replica shows in every replica's status, and an
// accept on a replica that does not hold it installs it fleet-wide and
// ends the hold.
func TestFleetSharesPinsAndHolds(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(testutil.ServiceTags(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oldDoc, newDoc := read("azure-government-2026-05-04.json"), read("azure-government-2026-07-06.json")
	var serving atomic.Pointer[[]byte]
	serving.Store(&oldDoc)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(*serving.Load()) }))
	defer srv.Close()
	source := srv.URL + "/ServiceTags_AzureGovernment.json"
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	ms := startFleet(t, 2, func(int) Config {
		cfg := fleetConfig(t, eps)
		cfg.ServiceTags = []string{source}
		cfg.ServiceTagsRefresh = time.Second
		return cfg
	})
	tagCN := func(m *Main, name string) int64 {
		cat := m.Catalog()
		if cat == nil {
			return -1
		}
		tg, ok := cat.Lookup(name)
		if !ok {
			return 0
		}
		return tg.ChangeNumber
	}
	everywhere := func(what string, ok func(m *Main) bool) {
		t.Helper()
		for i, m := range ms {
			eventually(t, 20*time.Second, fmt.Sprintf("replica %d: %s", i, what), func() error {
				if !ok(m) {
					return errors.New("not yet")
				}
				return nil
			})
		}
	}
	everywhere("changeNumber 391 in force", func(m *Main) bool { return m.Catalog() != nil && m.Catalog().Document().ChangeNumber == 391 })
	pinned := tagCN(ms[0], "AzureCloud")

	// Pin on replica 0; the next document moves AzureCloud on, the pin
	// keeps it on every replica.
	if err := ms[0].tagAdmin().Pin("AzureCloud", pinned); err != nil {
		t.Fatal(err)
	}
	serving.Store(&newDoc)
	everywhere("changeNumber 400 in force", func(m *Main) bool { return m.Catalog().Document().ChangeNumber == 400 })
	everywhere("AzureCloud pinned", func(m *Main) bool { return tagCN(m, "AzureCloud") == pinned })
	if st := ms[1].tagAdmin().Status(); len(st.Pins) != 1 || st.Pins[0].Tag != "AzureCloud" {
		t.Fatalf("replica 1's pins: %+v", st.Pins)
	}

	// Unpin on replica 1: released everywhere.
	if err := ms[1].tagAdmin().Unpin("AzureCloud"); err != nil {
		t.Fatal(err)
	}
	everywhere("AzureCloud unpinned", func(m *Main) bool { return tagCN(m, "AzureCloud") != pinned && len(m.tags.Pinned()) == 0 })

	// A document without AzureCloud (guarded) is held by the fetching
	// replica; every replica's status shows the hold.
	parsed, err := servicetag.Parse("new", newDoc)
	if err != nil {
		t.Fatal(err)
	}
	wedge := withoutAzureCloud(parsed)
	dropped, err := servicetag.MarshalDownload(wedge)
	if err != nil {
		t.Fatal(err)
	}
	serving.Store(&dropped)
	everywhere("the hold in status", func(m *Main) bool {
		st := m.tagAdmin().Status()
		return len(st.Sources) == 1 && st.Sources[0].Held != nil && st.Sources[0].Held.ChangeNumber == wedge.ChangeNumber
	})
	other := -1
	for i, m := range ms {
		if m.tags.Status().Sources[0].Held == nil {
			other = i
		}
	}
	if other < 0 {
		t.Fatal("both replicas hold the document: the fetch is not claimed")
	}
	// Accept where it is not held: installed fleet-wide, the hold ends.
	if err := ms[other].tagAdmin().Accept(""); err != nil {
		t.Fatalf("accept on replica %d: %v", other, err)
	}
	everywhere("the accepted document in force", func(m *Main) bool { return m.Catalog().Document().ChangeNumber == wedge.ChangeNumber })
	everywhere("no hold left", func(m *Main) bool { return m.tagAdmin().Status().Sources[0].Held == nil })
}
