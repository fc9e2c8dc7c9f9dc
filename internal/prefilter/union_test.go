package prefilter

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"

	"go4.org/netipx"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// naiveUnion is the reference, and the Union this package had: every
// list flattened (its own prefixes and its tags' prefixes) and
// concatenated, so a tag shared by n lists is there n times.
func naiveUnion(lists []*allowlist.List) []netip.Prefix {
	var out []netip.Prefix
	for _, l := range lists {
		own, tags, all := l.Parts()
		if all {
			out = append(out, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"))
		}
		out = append(out, own...)
		for _, t := range tags {
			out = append(out, t.Prefixes()...)
		}
	}
	return out
}

func ipset(tb testing.TB, ps []netip.Prefix) *netipx.IPSet {
	tb.Helper()
	var b netipx.IPSetBuilder
	for _, p := range ps {
		b.AddPrefix(p)
	}
	s, err := b.IPSet()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestUnionAgreesWithPrefixes: Union admits exactly what the lists'
// flattened forms admit together, for random lists sharing a few tag sets, with
// nil and disabled lists among them; each shared tag's prefixes appear
// once however many lists name it.
func TestUnionAgreesWithPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	randPrefix := func() netip.Prefix {
		if rng.IntN(4) == 0 {
			return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(rng.IntN(256))}), 40).Masked()
		}
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{20, byte(rng.IntN(256)), byte(rng.IntN(256)), 0}), 16+rng.IntN(17)).Masked()
	}
	var tags []*allowlist.TagSet
	for i := range 3 {
		var ps []netip.Prefix
		for range 50 {
			ps = append(ps, randPrefix())
		}
		tags = append(tags, allowlist.NewTagSet(fmt.Sprint("Tag", i), int64(i), ps))
	}
	for round := range 100 {
		var lists []*allowlist.List
		for range rng.IntN(40) + 1 {
			switch rng.IntN(10) {
			case 0:
				lists = append(lists, nil)
				continue
			case 1:
				if round%5 == 0 {
					var b allowlist.Builder
					b.AllowAll()
					l, _ := b.Build()
					lists = append(lists, l)
					continue
				}
			}
			var b allowlist.Builder
			for range rng.IntN(4) {
				p := randPrefix()
				b.AddPrefix(p, p.String())
			}
			for _, tg := range tags {
				if rng.IntN(2) == 0 {
					b.AddTag(tg, "tag")
				}
			}
			l, err := b.Build()
			if err != nil {
				t.Fatal(err)
			}
			lists = append(lists, l)
		}
		got, want := Union(lists), naiveUnion(lists)
		if !ipset(t, got).Equal(ipset(t, want)) {
			t.Fatalf("round %d: Union admits another set than the lists' Prefixes", round)
		}
		if len(got) > len(want) {
			t.Fatalf("round %d: Union has %d prefixes, more than the naive %d", round, len(got), len(want))
		}
	}
}

// BenchmarkUnion is what the prefilter recomputes at a route change: the
// union of every cluster's list, n clusters naming the real AzureCloud
// (one tag set, shared) plus an address each. naive is the previous Union
// (every list flattened, so AzureCloud's prefixes once per cluster).
func BenchmarkUnion(b *testing.B) {
	data, err := os.ReadFile(testutil.ServiceTags(b, testutil.PublicTags))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := servicetag.Parse("public", data)
	if err != nil {
		b.Fatal(err)
	}
	azure, _ := servicetag.NewCatalog(doc).Lookup("AzureCloud")
	set := allowlist.NewTagSet(azure.Name, azure.ChangeNumber, azure.Prefixes)
	for _, n := range []int{100, 1000, 10000} {
		lists := make([]*allowlist.List, n)
		for i := range lists {
			var bl allowlist.Builder
			bl.AddTag(set, "AzureCloud")
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{20, 20, byte(i >> 8), byte(i)}), 32)
			bl.AddPrefix(p, p.String())
			if lists[i], err = bl.Build(); err != nil {
				b.Fatal(err)
			}
		}
		for _, impl := range []struct {
			name string
			f    func([]*allowlist.List) []netip.Prefix
		}{{"union", Union}, {"naive", naiveUnion}} {
			if impl.name == "naive" && n > 100 {
				continue // 1,000 × AzureCloud: 4.6-5.4 s and 3.1 GB a call (measured once)
			}
			b.Run(fmt.Sprintf("%s/%d", impl.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if len(impl.f(lists)) < n {
						b.Fatal("short union")
					}
				}
			})
		}
	}
}
