package allowlist

import (
	"math/bits"
	"slices"
	"sync"
)

// rangeKey is the integer form of an address in one lookup structure: the
// whole IPv4 address, or the upper 64 bits of an IPv6 address.
type rangeKey interface{ ~uint32 | ~uint64 }

// Bucket index entries: the top two bits say how to read the rest. A search
// entry holds its first candidate range in the low 24 bits and the number of
// further candidates in the 6 bits above; a child entry holds the log2 of the
// child's bucket count in bits 26-29 and the child's offset in idx below.
const (
	bucketSearch = 0 << 30 // search the candidates
	bucketChild  = 1 << 30 // look the key up in a child index
	bucketOut    = 2 << 30 // no key of the bucket is in the set
	bucketIn     = 3 << 30 // every key of the bucket is in the set
	kindMask     = 3 << 30
	firstMask    = 1<<24 - 1
	childMask    = 1<<26 - 1
	maxRanges    = firstMask // ranges one rangeSet can index
	maxIndex     = childMask // index entries one rangeSet can hold

	// A bucket with more than maxCandidates candidates gets a child index
	// over its keys: service tags crowd thousands of prefixes into a few /24s
	// of IPv6 space, which a flat index cannot split. Each level narrows the
	// buckets, so the nesting ends (at worst with one key per bucket).
	maxCandidates = 4
	maxChildBits  = 12
)

// rangeSet is a sorted set of disjoint, non-adjacent [lo, hi] ranges with a
// bucket index over [base, base+span].
//
// Bucket b of the root covers keys base+b<<shift ... base+(b+1)<<shift-1;
// a child index splits one bucket of its parent into 2^bits buckets the same
// way. A bucket's candidates are the ranges from j0, the last range whose lo
// is at or below the bucket's first key (one always exists: lo[0] == base),
// to the last whose lo is in the bucket. Buckets that one range covers
// entirely or not at all carry their answer in the entry itself, so most
// lookups read one word; crowded buckets point to a child index; the others
// hold at most maxCandidates+1 candidates, and a branch-free binary search
// finds the last whose lo is at or below the key, which is admitted when it
// is at or below that range's hi. All levels live in one idx slice, so a
// step down reads nothing but the next entry.
//
// The zero value is the empty set.
type rangeSet[K rangeKey] struct {
	base  K
	span  K // highest key that can match - base
	shift uint8
	idx   []uint32
	lo    []K
	hi    []K
}

// contains reports whether k lies in one of the ranges. It does not allocate.
func (r *rangeSet[K]) contains(k K) bool {
	off := k - r.base
	if off > r.span || len(r.idx) == 0 {
		return false
	}
	shift, pos := r.shift, uint32(0)
	for {
		e := r.idx[pos+uint32(off>>shift)]
		switch e & kindMask {
		case bucketOut:
			return false
		case bucketIn:
			return true
		case bucketChild:
			off &= K(1)<<shift - 1
			shift -= uint8(e>>26) & 15
			pos = e & childMask
			continue
		}
		j := int(e & firstMask)
		n := int(e>>24)&63 + 1
		lo := r.lo[j : j+n]
		i := 0
		for n > 1 {
			half := n >> 1
			// Step when lo <= k, i.e. no borrow out of k - lo: arithmetic
			// rather than a branch that would mispredict half the time.
			_, borrow := bits.Sub64(uint64(k), uint64(lo[i+half]), 0)
			i += half & int(borrow-1)
			n -= half
		}
		return k <= r.hi[j+i]
	}
}

// len reports the number of merged ranges.
func (r *rangeSet[K]) len() int { return len(r.lo) }

// newRangeSet indexes sorted, disjoint, non-adjacent ranges with at most
// maxBuckets root buckets (a power of two, at least 2). The slices are kept,
// not copied.
func newRangeSet[K rangeKey](lo, hi []K, maxBuckets int) rangeSet[K] {
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
	// Build in pooled scratch memory, which grows with the nesting, and
	// keep an exact-size copy: a TagSet's index is tens of thousands of
	// entries, and growing it in place left three times that as garbage.
	buf := idxPool.Get().(*[]uint32)
	r.idx = (*buf)[:0]
	r.index(0, r.span, r.shift, 0)
	if len(r.idx) > maxIndex {
		panic("allowlist: index too large")
	}
	*buf = r.idx[:0]
	r.idx = slices.Clone(r.idx)
	idxPool.Put(buf)
	return r
}

var idxPool = sync.Pool{New: func() any { return new([]uint32) }}

// index appends the index of keys base+from ... base+from+span, split into
// buckets of 2^shift keys, and returns its offset in idx. j is the last
// range whose lo is at or below base+from.
//
// Most buckets hold no range start: their only candidate is the range that
// reaches into them, so they are filled a run at a time (see fillRun); only
// buckets with range starts are looked at one by one.
func (r *rangeSet[K]) index(from, span K, shift uint8, j int) uint32 {
	nb := int(span>>shift) + 1
	pos := len(r.idx)
	r.idx = slices.Grow(r.idx, nb)[:pos+nb]
	lo, base := r.lo, r.base
	for b := 0; b < nb; {
		// Offsets from base: the bucket's first and last keys.
		first := from + K(b)<<shift
		last := first + min(K(1)<<shift-1, span-K(b)<<shift)
		for j+1 < len(lo) && lo[j+1]-base <= first {
			j++ // j: the last range whose lo is at or below first
		}
		if j+1 < len(lo) && lo[j+1]-base <= last {
			next := j + 1 // the last range whose lo is in the bucket
			for next+1 < len(lo) && lo[next+1]-base <= last {
				next++
			}
			e := r.crowded(first, last-first, shift, uint32(j), uint32(next)) // may grow idx
			r.idx[pos+b] = e
			b++
			continue
		}
		// Buckets b up to the one where range j+1 starts have only j.
		bn := nb
		if j+1 < len(lo) {
			if o := lo[j+1] - base - from; o <= span {
				bn = int(o >> shift)
			}
		}
		r.fillRun(pos, b, bn, from, span, shift, j)
		b = bn
	}
	return uint32(pos)
}

// fillRun sets the entries of buckets b ... bn-1 of the index at pos (keys
// base+from ... base+from+span in buckets of 2^shift keys), whose only
// candidate is range j, which starts at or before bucket b: the buckets up
// to the one holding hi[j] are in the set, that one is in it or must be
// searched, and the rest are out.
func (r *rangeSet[K]) fillRun(pos, b, bn int, from, span K, shift uint8, j int) {
	idx := r.idx[pos+b : pos+bn]
	h := r.hi[j] - r.base
	if h < from+K(b)<<shift {
		fillEntries(idx, bucketOut)
		return
	}
	q := (h - from) >> shift // the bucket holding hi[j]
	if q >= K(bn) {
		fillEntries(idx, bucketIn)
		return
	}
	bh := int(q)
	fillEntries(idx[:bh-b], bucketIn)
	if h-from-K(bh)<<shift >= min(K(1)<<shift-1, span-K(bh)<<shift) {
		idx[bh-b] = bucketIn // hi[j] is the bucket's last key
	} else {
		idx[bh-b] = uint32(j) | bucketSearch
	}
	fillEntries(idx[bh-b+1:], bucketOut)
}

func fillEntries(s []uint32, e uint32) {
	for i := range s {
		s[i] = e
	}
}

// crowded returns the entry of the bucket of keys base+from ...
// base+from+span whose candidates are lo[j ... next], j < next, building a
// child index when there are too many to search.
func (r *rangeSet[K]) crowded(from, span K, shift uint8, j, next uint32) uint32 {
	if next-j <= maxCandidates || shift == 0 {
		return j | (next-j)<<24
	}
	bits := uint8(1)
	for 1<<bits < 4*int(next-j+1) && bits < maxChildBits && bits < shift {
		bits++
	}
	pos := r.index(from, span, shift-bits, int(j))
	return bucketChild | uint32(bits)<<26 | pos
}
