package allowlist

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestBuildersMatch checks that the fast builders produce exactly the
// tables of the slow reference builders in build_reference_test.go, so
// lookups read the same structures as before.
func TestBuildersMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	inputs := map[string][]netip.Prefix{
		"azurecloud": loadTag(t, "AzureCloud"),
		"random":     randomGlobalPrefixes(r, 2000),
		"clustered":  clusteredPrefixes(r, 3000),
		"edges": {
			netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("255.255.255.255/32"),
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("11.0.0.1/32"),
			netip.MustParsePrefix("128.0.0.0/1"), netip.MustParsePrefix("::/0"),
		},
	}
	for i := range 20 {
		n := 1 + r.IntN(3000)
		inputs[fmt.Sprintf("random-%d", i)] = randomGlobalPrefixes(r, n)
		inputs[fmt.Sprintf("clustered-%d", i)] = clusteredPrefixes(r, n)
		inputs[fmt.Sprintf("dense-%d", i)] = densePrefixes(r, n)
	}
	for name, prefixes := range inputs {
		t.Run(name, func(t *testing.T) {
			var ks keySet
			for _, p := range prefixes {
				if tp, ok := toTagPrefix(p); ok {
					ks.add(tp)
				}
			}
			// merge4 and merge6 sort and overwrite the keys: take the
			// reference's inputs first.
			wlo4, whi4 := mergeRangesSlow(ks.slowLo4(), ks.slowHi4())
			wlo6, whi6 := mergeRangesSlow(ks.slowLo6(), ks.slowHi6())
			lo4, hi4 := ks.merge4()
			if !slices.Equal(lo4, wlo4) || !slices.Equal(hi4, whi4) {
				t.Fatalf("merged IPv4 ranges differ: %d vs %d", len(lo4), len(wlo4))
			}
			got, want := newDir4(lo4, hi4), newDir4Slow(lo4, hi4)
			if (got == nil) != (want == nil) {
				t.Fatalf("newDir4 nil = %v, reference %v", got == nil, want == nil)
			}
			if got != nil && (*got.l1 != *want.l1 || !slices.Equal(widen(got.l2), want.l2) || !slices.Equal(got.l3, want.l3)) {
				t.Fatalf("DIR tables differ: l2 %d vs %d, l3 %d vs %d", len(got.l2), len(want.l2), len(got.l3), len(want.l3))
			}
			// The byte-sized table, where it fits, holds the same numbers.
			nodes, maps := countDir4(lo4, hi4)
			if g8 := newDir[uint8](lo4, hi4, nodes, maps); g8 != nil {
				if want == nil || !slices.Equal(mapKeys(g8.l1[:], widen16), want.l1[:]) ||
					!slices.Equal(mapKeys(g8.l2, widen32), want.l2) || !slices.Equal(g8.l3, want.l3) {
					t.Fatalf("byte-sized DIR table differs from the reference")
				}
			} else if nodes+2 <= 256 && maps+2 <= 256 {
				t.Fatalf("byte-sized DIR table not built for %d nodes and %d bitmaps", nodes, maps)
			}
			for _, nb := range []int{16, 1024, tagBuckets4} {
				g, w := newRangeSet(lo4, hi4, nb), newRangeSetSlow(lo4, hi4, nb)
				if g.base != w.base || g.span != w.span || g.shift != w.shift || !slices.Equal(g.idx, w.idx) {
					t.Fatalf("IPv4 rangeSet with %d buckets differs: idx %d vs %d entries", nb, len(g.idx), len(w.idx))
				}
			}
			lo6, hi6 := ks.merge6()
			if !slices.Equal(lo6, wlo6) || !slices.Equal(hi6, whi6) {
				t.Fatalf("merged IPv6 ranges differ: %d vs %d", len(lo6), len(wlo6))
			}
			for _, nb := range []int{16, 256, tagBuckets6} {
				g, w := newRangeSet(lo6, hi6, nb), newRangeSetSlow(lo6, hi6, nb)
				if g.base != w.base || g.span != w.span || g.shift != w.shift || !slices.Equal(g.idx, w.idx) {
					t.Fatalf("rangeSet with %d buckets differs: idx %d vs %d entries", nb, len(g.idx), len(w.idx))
				}
			}
		})
	}
}

// clusteredPrefixes returns n random prefixes crowded into 20.0.0.0/8 and
// 2603:1000::/24, as service tags are.
func clusteredPrefixes(r *rand.Rand, n int) []netip.Prefix {
	out := randomGlobalPrefixes(r, n)
	for i := range out {
		out[i] = clustered(r, out[i])
	}
	return out
}

func (ks *keySet) slowLo4() []uint32 {
	return mapKeys(ks.k4, func(k uint64) uint32 { return uint32(k >> 32) })
}
func (ks *keySet) slowHi4() []uint32 {
	return mapKeys(ks.k4, func(k uint64) uint32 { return uint32(k) })
}
func (ks *keySet) slowLo6() []uint64 { return mapKeys(ks.r6, func(p pair64) uint64 { return p.lo }) }
func (ks *keySet) slowHi6() []uint64 { return mapKeys(ks.r6, func(p pair64) uint64 { return p.hi }) }

func mapKeys[T, K any](in []T, f func(T) K) []K {
	out := make([]K, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func widen(s []uint16) []uint32 { return mapKeys(s, func(v uint16) uint32 { return uint32(v) }) }

// densePrefixes returns n random prefixes of /18 to /32 inside 10.0.0.0/14
// and 2603:1000::/40 to /64 inside 2603:1000::/36: many partly covered
// blocks and crowded buckets.
func densePrefixes(r *rand.Rand, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		if i%2 == 0 {
			a := 10<<24 | r.Uint32()>>14
			out[i] = netip.PrefixFrom(addr4(a), 18+r.IntN(15)).Masked()
			continue
		}
		out[i] = netip.PrefixFrom(addr6(u128{0x2603_1000_0000_0000 | r.Uint64()>>36, 0}), 40+r.IntN(25)).Masked()
	}
	return out
}

func widen16(v uint8) uint16 { return uint16(v) }
func widen32(v uint8) uint32 { return uint32(v) }
