package routecompile_test

import (
	"fmt"
	"testing"

	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// clusterLists are n clusters sharing AzureCloud, each with its own
// addresses (gen varies them, so a new gen forces a rebuild).
func clusterLists(n, gen int) []routecompile.List {
	out := make([]routecompile.List, n)
	for i := range out {
		out[i] = routecompile.List{Name: fmt.Sprintf("cluster-%d", i), Entries: []string{
			"AzureCloud", fmt.Sprintf("20.%d.%d.%d/32", gen%256, i/256%256, i%256), "2001:db8::/48"}}
	}
	return out
}

// BenchmarkCompile1000 compiles 1,000 clusters sharing the real AzureCloud
// tag (13,000+ prefixes), one Compile per cluster as the controller does.
// An op is all 1,000.
//
//   - cold: a new Compiler; AzureCloud is compiled once and shared.
//   - rebuild: every list changed (new own address), the tag set cached.
//   - unchanged: same lists, same catalog: versions match, no Build.
//   - new-catalog: a new catalog with the same AzureCloud version (a weekly
//     refresh that left the tag alone): one fingerprint, no Build.
//
// Measured (2026-12-04, 2 shared cores, heavy noise; -benchtime 30x
// -count 3), per 1,000 clusters: cold 16-23 ms, 2.7 MB, 25 allocs a
// cluster; rebuild 15-22 ms, 2.1 MB, 25 allocs; unchanged 4-12 ms, 1.4 MB,
// 16 allocs; new-catalog 10-14 ms, 1.4 MB, 16 allocs. AzureCloud itself is
// compiled once (cold) and fingerprinted once per new catalog.
func BenchmarkCompile1000(b *testing.B) {
	doc := realDoc(b, testutil.PublicTags)
	cat := servicetag.NewCatalog(doc)
	run := func(b *testing.B, c *routecompile.Compiler, tags routecompile.Tags, lists []routecompile.List) {
		b.Helper()
		for _, l := range lists {
			if _, err := c.Compile(tags, l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		lists := clusterLists(1000, 0)
		b.ReportAllocs()
		for b.Loop() {
			run(b, newCompiler(b), cat, lists)
		}
	})
	b.Run("rebuild", func(b *testing.B) {
		c := newCompiler(b)
		gens := [2][]routecompile.List{clusterLists(1000, 1), clusterLists(1000, 2)}
		run(b, c, cat, gens[0])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			run(b, c, cat, gens[i%2])
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		c := newCompiler(b)
		lists := clusterLists(1000, 0)
		run(b, c, cat, lists)
		b.ReportAllocs()
		for b.Loop() {
			run(b, c, cat, lists)
		}
	})
	b.Run("new-catalog", func(b *testing.B) {
		c := newCompiler(b)
		lists := clusterLists(1000, 0)
		cats := [2]*servicetag.Catalog{cat, servicetag.NewCatalog(doc)}
		run(b, c, cats[0], lists)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			run(b, c, cats[i%2], lists)
		}
	})
}
