package allowlist

// The builders as they were before compile was made faster (see
// docs/bench/allowlist.md), kept as the slow reference: TestBuildersMatch
// checks that the fast builders produce the same tables.

import (
	"cmp"
	"slices"
)

// mergeRangesSlow sorts ranges by lo and joins overlapping and adjacent ones.
func mergeRangesSlow[K rangeKey](lo, hi []K) ([]K, []K) {
	if len(lo) == 0 {
		return nil, nil
	}
	type pair struct{ lo, hi K }
	ps := make([]pair, len(lo))
	for i := range lo {
		ps[i] = pair{lo[i], hi[i]}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.lo, b.lo) })
	outLo := make([]K, 0, len(lo))
	outHi := make([]K, 0, len(lo))
	for _, p := range ps {
		n := len(outLo)
		if n > 0 && (outHi[n-1] == ^K(0) || p.lo <= outHi[n-1]+1) {
			outHi[n-1] = max(outHi[n-1], p.hi)
			continue
		}
		outLo = append(outLo, p.lo)
		outHi = append(outHi, p.hi)
	}
	return slices.Clip(outLo), slices.Clip(outHi)
}

// dir4Slow is dir4 as it was, with 32-bit bitmap numbers in l2.
type dir4Slow struct {
	l1 *[1 << 16]uint16
	l2 []uint32
	l3 []uint64
}

// newDir4Slow builds the table from sorted, disjoint, non-adjacent ranges. It
// returns nil when more than 65,534 /16 blocks are partly covered.
func newDir4Slow(lo, hi []uint32) *dir4Slow {
	d := &dir4Slow{l1: new([1 << 16]uint16)}
	// Visit only the /16 blocks the ranges touch, in order; the others
	// stay 0, the empty node. Partly covered blocks are noted first so that
	// l2 is allocated once, at its final size.
	type partial struct {
		block uint32
		c     rangeCursorSlow
	}
	var parts []partial
	c := rangeCursorSlow{lo: lo, hi: hi}
	next := 0 // the first block not visited yet
	for j := range lo {
		for b := max(int(lo[j]>>16), next); b <= int(hi[j]>>16); b++ {
			s := uint32(b) << 16
			switch c.classify(s, s|0xffff) {
			case blockFullSlow:
				d.l1[b] = 1
			case blockPartialSlow:
				parts = append(parts, partial{uint32(b), c})
			}
			next = b + 1
		}
	}
	if len(parts)+2 > 1<<16 {
		return nil // too many nodes for 16-bit node numbers
	}
	d.l2 = make([]uint32, 2*256, (2+len(parts))*256)
	for i := 256; i < 512; i++ {
		d.l2[i] = 1
	}
	d.l3 = make([]uint64, 2*4, (2+4*len(parts))*4)
	for i := 4; i < 8; i++ {
		d.l3[i] = ^uint64(0)
	}
	for _, p := range parts {
		d.l1[p.block] = uint16(d.nodeSlow(p.c, p.block<<16))
	}
	return d
}

var zeroNodeSlow [256]uint32

// nodeSlow adds the l2 node for the partly covered /16 at s and returns its number.
func (d *dir4Slow) nodeSlow(c rangeCursorSlow, s uint32) uint32 {
	n := uint32(len(d.l2) >> 8)
	base := len(d.l2)
	d.l2 = append(d.l2, zeroNodeSlow[:]...)
	for i := range uint32(256) {
		t := s | i<<8
		switch c.classify(t, t|0xff) {
		case blockFullSlow:
			d.l2[base+int(i)] = 1
		case blockPartialSlow:
			d.l2[base+int(i)] = d.bitmapSlow(c, t)
		}
	}
	return n
}

// bitmapSlow adds the l3 bitmap for the partly covered /24 at t.
func (d *dir4Slow) bitmapSlow(c rangeCursorSlow, t uint32) uint32 {
	m := uint32(len(d.l3) >> 2)
	var w [4]uint64
	for j := c.j; j < len(c.lo) && c.lo[j] <= t|0xff; j++ {
		from, to := max(c.lo[j], t)&0xff, min(c.hi[j], t|0xff)&0xff
		for a := from; ; a++ {
			w[a>>6] |= 1 << (a & 63)
			if a == to {
				break
			}
		}
	}
	d.l3 = append(d.l3, w[:]...)
	return m
}

// Block classes.
const (
	blockEmptySlow = iota
	blockFullSlow
	blockPartialSlow
)

// rangeCursorSlow walks sorted ranges as blocks are visited in increasing order.
type rangeCursorSlow struct {
	lo, hi []uint32
	j      int // first range whose hi is at or above the last block's start
}

// classify reports how the ranges cover [s, e] and leaves the cursor at the
// first range that ends at or after s. Calls must not go backwards in s.
func (c *rangeCursorSlow) classify(s, e uint32) int {
	for c.j < len(c.hi) && c.hi[c.j] < s {
		c.j++
	}
	switch {
	case c.j == len(c.lo) || c.lo[c.j] > e:
		return blockEmptySlow
	case c.lo[c.j] <= s && c.hi[c.j] >= e:
		return blockFullSlow
	}
	return blockPartialSlow
}

// newRangeSetSlow indexes sorted, disjoint, non-adjacent ranges with at most
// maxBuckets root buckets (a power of two, at least 2). The slices are kept,
// not copied.
func newRangeSetSlow[K rangeKey](lo, hi []K, maxBuckets int) rangeSet[K] {
	if len(lo) == 0 {
		return rangeSet[K]{}
	}
	if len(lo) > maxRanges {
		panic("allowlist: too many ranges")
	}
	r := rangeSet[K]{base: lo[0], span: hi[len(hi)-1] - lo[0], lo: lo, hi: hi}
	for (r.span >> r.shift) >= K(maxBuckets) {
		r.shift++
	}
	r.indexSlow(0, r.span, r.shift, 0)
	if len(r.idx) > maxIndex {
		panic("allowlist: index too large")
	}
	return r
}

// indexSlow appends the index of keys base+from ... base+from+span, split into
// buckets of 2^shift keys, and returns its offset in idx. j is the last
// range whose lo is at or below base+from.
func (r *rangeSet[K]) indexSlow(from, span K, shift uint8, j int) uint32 {
	nb := int(span>>shift) + 1
	pos := len(r.idx)
	r.idx = append(r.idx, make([]uint32, nb)...)
	first := make([]uint32, nb+1) // j0 of each bucket, and of the one after
	for b := range nb {
		start := r.base + from + K(b)<<shift
		for j+1 < len(r.lo) && r.lo[j+1] <= start {
			j++
		}
		first[b] = uint32(j)
	}
	last := r.base + from + span
	for j+1 < len(r.lo) && r.lo[j+1] <= last {
		j++
	}
	first[nb] = uint32(j)
	for b := range nb {
		bfrom := from + K(b)<<shift
		bspan := min(K(1)<<shift-1, span-K(b)<<shift)
		r.idx[pos+b] = r.classifySlow(bfrom, bspan, shift, first[b], first[b+1])
	}
	return uint32(pos)
}

// classifySlow returns the entry of the bucket of keys base+from ...
// base+from+span whose candidates are lo[j ... next] (next included when
// its lo is in the bucket), building a child index when it is crowded.
func (r *rangeSet[K]) classifySlow(from, span K, shift uint8, j, next uint32) uint32 {
	start := r.base + from
	last := start + span
	if r.lo[next] > last {
		next--
	}
	if next == j {
		switch h := r.hi[j]; {
		case h >= last:
			return bucketIn
		case h < start:
			return bucketOut
		}
		return j | bucketSearch
	}
	if next-j <= maxCandidates || shift == 0 {
		return j | (next-j)<<24
	}
	bits := uint8(1)
	for 1<<bits < 4*int(next-j+1) && bits < maxChildBits && bits < shift {
		bits++
	}
	pos := r.indexSlow(from, span, shift-bits, int(j))
	return bucketChild | uint32(bits)<<26 | pos
}
