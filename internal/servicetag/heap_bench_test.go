package servicetag

import (
	"net/netip"
	"runtime"
	"testing"
	"unsafe"
)

// BenchmarkLoadHeap splits what the 4 MB public document costs in heap into
// the steps that build it, one sub-benchmark each: the step alone is timed
// (the steps before it run with the timer stopped, on one parsed document
// shared by the catalog steps), so B/op and allocs/op
// are that step's allocations, and retained-MiB is the live heap (after a
// GC) the step adds and keeps:
//
//   - parse: Parse (decode, validation, every tag's prefixes);
//   - catalog: NewCatalog (the name index; what a Set keeps besides the
//     document);
//   - reverse-index: the first Containing call, which builds the address →
//     tags index (bart) that only the console and the CLI ask for.
//
// parse also reports prefixes-MiB, the size of the tags' []netip.Prefix
// backing arrays (cap × 32 bytes), the part of the document's heap that the
// update checks and the console read.
//
//	go test ./internal/servicetag -run '^$' -bench LoadHeap -benchmem -benchtime 20x -count 3
func BenchmarkLoadHeap(b *testing.B) {
	data := sharedFile(b, "azure-public-2025-10-13.json")
	parse := func(b *testing.B) *Document {
		doc, err := Parse("bench", data)
		if err != nil {
			b.Fatal(err)
		}
		return doc
	}
	shared := parse(b) // catalogs only read their document
	steps := []struct {
		name  string
		setup func(*testing.B) any      // untimed: the steps before
		step  func(*testing.B, any) any // timed
	}{
		{"parse", func(*testing.B) any { return nil }, func(b *testing.B, _ any) any { return parse(b) }},
		{"catalog", func(*testing.B) any { return shared }, func(_ *testing.B, d any) any { return NewCatalog(d.(*Document)) }},
		{"reverse-index", func(*testing.B) any { return NewCatalog(shared) }, func(_ *testing.B, c any) any {
			c.(*Catalog).Containing(netip.MustParseAddr("20.1.1.1"))
			return c
		}},
	}
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var retained float64
			var kept, in any
			for b.Loop() {
				b.StopTimer()
				kept, in = nil, nil
				in = s.setup(b)
				before := liveHeap()
				b.StartTimer()
				kept = s.step(b, in)
				b.StopTimer()
				in = nil
				retained = max(retained, float64(int64(liveHeap())-int64(before))/(1<<20))
				b.StartTimer()
			}
			if doc, ok := kept.(*Document); ok {
				var n int
				for _, t := range doc.Tags {
					n += cap(t.Prefixes)
				}
				b.ReportMetric(float64(n)*float64(unsafe.Sizeof(netip.Prefix{}))/(1<<20), "prefixes-MiB")
			}
			runtime.KeepAlive(kept)
			b.ReportMetric(retained, "retained-MiB")
		})
	}
}
