package gateway

import (
	"github.com/tagwall/tagwall/internal/allowlist"
	"net/netip"
	"testing"
	"time"
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

// BenchmarkRecentAdd measures recording one admitted connection (after the
// decision): a listed client, and a stream of new clients that churns a
// full record.
func BenchmarkRecentAdd(b *testing.B) {
	b.Run("listed", func(b *testing.B) {
		r := new(recentRecord)
		a := netip.MustParseAddr("20.20.20.20")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.add(a, int64(i))
		}
	})
	b.Run("churn", func(b *testing.B) {
		r := new(recentRecord)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.add(netip.AddrFrom4([4]byte{20, byte(i >> 16), byte(i >> 8), byte(i)}), int64(i))
		}
	})
}

// BenchmarkShadowOverhead interleaves blocks of 1,000 decisions without and
// with a shadow list (both AzureCloud-sized, admitted client, IPv4 and
// IPv6) so the shared machine's load hits both alike, and reports the
// fastest block of each (ns per decision) and their difference: the
// shadow's cost.
func BenchmarkShadowOverhead(b *testing.B) {
	g, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	tag := azureCloud(b)
	allow := list(b, "20.20.20.20", tag)
	sni := []byte(prodSNI)
	g.SetRoutes([]Route{{Name: "plain", SNI: prodSNI, Allow: allow}})
	plain := g.table.Load()
	g.SetRoutes([]Route{{Name: "shadow", SNI: prodSNI, Allow: allow, Shadow: list(b, "20.20.20.21", tag)}})
	shadow := g.table.Load()
	for _, fam := range []string{"v4", "v6"} {
		client := azureAddr2(b, tag)
		if fam == "v6" {
			client = azureAddr6(b, tag)
		}
		b.Run(fam, func(b *testing.B) {
			const block = 1000
			run := func(t *table) time.Duration {
				start := time.Now()
				for range block {
					e := t.lookup(sni)
					ok := e.admits(client)
					g.shadowCheck(e, ok, client, netip.AddrPort{}, sni)
				}
				return time.Since(start)
			}
			best := [2]time.Duration{time.Hour, time.Hour}
			b.ReportAllocs()
			for b.Loop() {
				best[0] = min(best[0], run(plain))
				best[1] = min(best[1], run(shadow))
			}
			p, s := float64(best[0])/block, float64(best[1])/block
			b.ReportMetric(p, "plain-ns/decision")
			b.ReportMetric(s, "shadow-ns/decision")
			b.ReportMetric(s-p, "shadow-cost-ns")
		})
	}
}

func azureAddr6(tb testing.TB, ts *allowlist.TagSet) netip.Addr {
	for _, p := range ts.Prefixes() {
		if p.Addr().Is6() && p.Bits() < 120 {
			return p.Addr().Next()
		}
	}
	tb.Fatal("no IPv6 prefix")
	return netip.Addr{}
}
