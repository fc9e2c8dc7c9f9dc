package allowlist

import "math/bits"

// Matcher shapes, chosen at compile time from the number and kind of merged
// ranges (tailscale ipset style): each family gets the cheapest structure
// that fits its input, behind one switch in matcher.contains4/contains6.
// Measured in docs/bench/allowlist.md ("Matcher shapes").
const (
	shapeNone  = iota // no range of the family: every lookup misses
	shapeAll          // a disabled list: every lookup hits
	shapeOne          // one range: one subtraction and one comparison
	shapeScan         // at most scanMax ranges: a branch-free linear scan
	shapeIndex        // rangeSet: bucket index and short branch-free search
	shapeDir          // IPv4 only: DIR-16-8-8 table
	shapeFlat         // IPv6 only: bucketed 128-bit ranges (flat6)
	shapeDir8         // IPv4 only: DIR-16-8-8 table with byte-sized numbers
)

// shapeNames name the shapes for tests and dumps.
var shapeNames = [...]string{"none", "all", "one", "scan", "index", "dir", "flat", "dir8"}

const (
	// scanMax is the most ranges of one family scanned linearly. A scan of
	// 16 IPv4 ranges is 16 independent subtract-compare pairs with no
	// branch, which beats the index's dependent loads.
	scanMax = 16
	// scanMax6 is scanMax for IPv6 ranges, whose test is four 64-bit
	// subtractions: past a few ranges, flat6's bucket load and short search
	// is faster.
	scanMax6 = 4
	// ownDirMin is the fewest merged IPv4 ranges for which a List's own
	// ranges get a DIR table (about 128 KiB plus 512 bytes a partly covered
	// /16). Lists that large are rare (AKS allows 2,000 entries only with
	// VNet integration), so thousands of small lists stay small.
	ownDirMin = 256
)

// scan4 reports whether k lies in one of the ranges [lo[i], hi[i]]. It
// reads every range and takes no data-dependent branch: k is in range i
// when k-lo[i] <= hi[i]-lo[i] (unsigned), i.e. when the 64-bit difference
// (hi[i]-lo[i]) - (k-lo[i]) of the two 32-bit values is not negative.
func scan4(lo, hi []uint32, k uint32) bool {
	hi = hi[:len(lo)]
	out := uint64(1)
	for i, l := range lo {
		out &= (uint64(hi[i]-l) - uint64(k-l)) >> 63
	}
	return out == 0
}

// scan6 is scan4 for 128-bit ranges: a is in [lo, hi] when there is no
// borrow out of a-lo nor out of hi-a.
func scan6(lo, hi []u128, a u128) bool {
	hi = hi[:len(lo)]
	out := uint64(1)
	for i, l := range lo {
		_, b1 := bits.Sub64(a.lo, l.lo, 0)
		_, b1 = bits.Sub64(a.hi, l.hi, b1)
		h := hi[i]
		_, b2 := bits.Sub64(h.lo, a.lo, 0)
		_, b2 = bits.Sub64(h.hi, a.hi, b2)
		out &= b1 | b2
	}
	return out == 0
}

// flat6 indexes sorted, disjoint 128-bit ranges by the upper 64 bits of
// their start: bucket b covers upper halves base+b<<shift ...
// base+(b+1)<<shift-1, and start[b] is the last range whose start is at or
// below the bucket's first address (0 when none is). The range that may
// hold an address of bucket b is then one of start[b] ... start[b+1], found
// by a branch-free binary search. It replaces, for lists that mix /64-and-
// shorter IPv6 prefixes with longer ones, a 64-bit index followed by a
// second search of the longer ones.
//
// The lookup is written out in matcher.contains6 (a call less on the path
// of every IPv6 lookup of such a list).
type flat6 struct {
	base  uint64
	shift uint8
	start []uint32 // one entry a bucket, and one more
}

// newFlat6 indexes the ranges with about 4 buckets a range (at most 4,096).
func newFlat6(lo, hi []u128) flat6 {
	f := flat6{base: lo[0].hi}
	nb := uint64(16)
	for nb < uint64(4*len(lo)) && nb < 1<<12 {
		nb <<= 1
	}
	span := hi[len(hi)-1].hi - f.base
	for span>>f.shift >= nb {
		f.shift++
	}
	nb = span>>f.shift + 1
	f.start = make([]uint32, nb+1)
	j := 0
	for b := range f.start {
		key := u128{f.base + uint64(b)<<f.shift, 0}
		if uint64(b) == nb {
			key = hi[len(hi)-1]
		}
		for j+1 < len(lo) && !key.less(lo[j+1]) {
			j++
		}
		f.start[b] = uint32(j)
	}
	return f
}
