package gateway

import (
	"github.com/tagwall/tagwall/internal/allowlist"
	"net/netip"
	"testing"
	"unsafe"
)

func unsafeSizeofRecord() uintptr { return unsafe.Sizeof(recentRecord{}) }

// BenchmarkDecision measures the per-connection decision for an admitted
// client (route lookup by SNI, list check, shadow evaluation) with no
// shadow list, and with a shadow list as large as the list in force (the
// real AzureCloud tag plus an address) that agrees or disagrees.
func BenchmarkDecision(b *testing.B) {
	g, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	tag := azureCloud(b)
	allow := list(b, "20.20.20.20", tag)
	client := azureAddr2(b, tag)
	cases := []struct {
		name   string
		shadow any
	}{
		{name: "no-shadow"},
		{name: "shadow-agrees", shadow: list(b, "20.20.20.21", tag)},
		{name: "shadow-small-agrees", shadow: list(b, "20.20.20.20", "0.0.0.0/0")},
	}
	sni := []byte(prodSNI)
	for _, c := range cases {
		r := Route{Name: "prod", SNI: prodSNI, Allow: allow}
		if c.shadow != nil {
			r.Shadow = c.shadow.(*allowlist.List)
		}
		g.SetRoutes([]Route{r})
		t := g.table.Load()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := t.lookup(sni)
				ok := e.admits(client)
				g.shadowCheck(e, ok, client, netip.AddrPort{}, sni)
				if !ok {
					b.Fatal("denied")
				}
			}
		})
	}
}

func azureAddr2(tb testing.TB, ts *allowlist.TagSet) netip.Addr {
	for _, p := range ts.Prefixes() {
		if p.Addr().Is4() && p.Bits() < 30 {
			return p.Addr().Next()
		}
	}
	tb.Fatal("no IPv4 prefix")
	return netip.Addr{}
}

func TestDecisionAllocs(t *testing.T) {
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tag := azureCloud(t)
	g.SetRoutes([]Route{{Name: "prod", SNI: prodSNI, Allow: list(t, "20.20.20.20", tag), Shadow: list(t, tag)}})
	tbl := g.table.Load()
	client := netip.MustParseAddr("20.20.20.20")
	sni := []byte(prodSNI)
	if n := testing.AllocsPerRun(1000, func() {
		e := tbl.lookup(sni)
		g.shadowCheck(e, e.admits(client), client, netip.AddrPort{}, sni)
	}); n != 0 {
		t.Errorf("decision with shadow and no audit allocates %v", n)
	}
}
