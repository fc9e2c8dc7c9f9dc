package api

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/testutil"
)

// recentOnly is an AccessInspector with a fixed record of recent clients.
type recentOnly struct{ rc gateway.RecentClients }

func (recentOnly) Explain(string, netip.Addr) (gateway.Explanation, bool) {
	return gateway.Explanation{}, false
}
func (r recentOnly) RecentClients(string) (gateway.RecentClients, bool) { return r.rc, true }

// BenchmarkPreview is the cut-off guard's preview of a guarded PUT (every
// list change of a cluster that admitted clients in the last 24 h): the
// new list ["AzureCloud", one address] against a full record of recent
// clients (gateway.MaxRecentClients), with the real Azure Public document.
func BenchmarkPreview(b *testing.B) {
	data, err := os.ReadFile(testutil.ServiceTags(b, testutil.PublicTags))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := servicetag.Parse("public", data)
	if err != nil {
		b.Fatal(err)
	}
	cat := servicetag.NewCatalog(doc)
	azure, _ := cat.Lookup("AzureCloud")
	// admitted: recent clients spread over AzureCloud's IPv4 prefixes (the
	// new list keeps them); refused: clients outside it (cut off).
	var in []netip.Addr
	for _, p := range azure.Prefixes {
		if p.Addr().Is4() && len(in) < gateway.MaxRecentClients {
			in = append(in, p.Addr())
		}
	}
	for _, tc := range []struct {
		name    string
		clients func(i int) netip.Addr
		cut     int
	}{
		{"admitted", func(i int) netip.Addr { return in[i%len(in)] }, 0},
		{"refused", func(i int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}) }, gateway.MaxRecentClients},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var rc gateway.RecentClients
			for i := range gateway.MaxRecentClients {
				rc.Clients = append(rc.Clients, gateway.RecentClient{Addr: tc.clients(i), Count: 1, LastSeen: time.Now()})
			}
			h, err := New(Config{Store: memstore.New(), Auth: StaticToken{Token: "t"}, Catalog: func() *servicetag.Catalog { return cat }, Access: recentOnly{rc}})
			if err != nil {
				b.Fatal(err)
			}
			s := h.(*server)
			old := &state.ManagedCluster{Subscription: "s", ResourceGroup: "rg", Name: "c"}
			old.Access.AuthorizedIPRanges = []string{"20.30.0.0/16"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				p, err := s.preview(old, []string{"AzureCloud", fmt.Sprintf("20.40.%d.%d/32", i>>8&255, i&255)})
				if err != nil || p.RecentClients != gateway.MaxRecentClients || len(p.CutOffClients) != tc.cut {
					b.Fatalf("%d recent, %d cut off (want %d), %v", p.RecentClients, len(p.CutOffClients), tc.cut, err)
				}
			}
		})
	}
}

// TestPreviewForgetsAcrossCatalogs: the preview compiler is shared by every
// preview, but when the catalog changes it forgets what earlier previews
// resolved: a tag the new catalog lacks gets no "last good" prefixes from
// another tenant's earlier preview (it admits nobody), and the old
// catalog's tag sets are released.
func TestPreviewForgetsAcrossCatalogs(t *testing.T) {
	mk := func(cn int64, tags ...servicetag.Tag) *servicetag.Catalog {
		return servicetag.NewCatalog(&servicetag.Document{Cloud: "Public", ChangeNumber: cn, Tags: tags})
	}
	x := servicetag.Tag{Name: "X", ID: "X", ChangeNumber: 1, Prefixes: []netip.Prefix{netip.MustParsePrefix("20.1.0.0/16")}}
	cur := mk(1, x)
	h, err := New(Config{Store: memstore.New(), Auth: StaticToken{Token: "t"}, Catalog: func() *servicetag.Catalog { return cur }})
	if err != nil {
		t.Fatal(err)
	}
	s := h.(*server)
	in := netip.MustParseAddr("20.1.2.3")
	res, err := s.compilePreview([]string{"X"})
	if err != nil || !res.Allow.Contains(in) {
		t.Fatalf("X in force: %v %v", res, err)
	}
	cur = mk(2) // X vanished
	res, err = s.compilePreview([]string{"X"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Allow.Contains(in) {
		t.Fatal("a vanished tag kept the prefixes an earlier preview resolved")
	}
	if st := s.previews.Stats(); st.TagSets != 0 {
		t.Fatalf("the old catalog's tag sets are still held: %+v", st)
	}
}
