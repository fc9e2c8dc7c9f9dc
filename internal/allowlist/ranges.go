package allowlist

// rangeKey is the integer form of an address in one lookup structure: the
// whole IPv4 address, or the upper 64 bits of an IPv6 address.
type rangeKey interface{ ~uint32 | ~uint64 }

// Bucket index entries: the low 30 bits hold the first candidate range, the
// top two bits record a bucket whose answer does not depend on the address.
const (
	bucketDecided = 1 << 31 // every address of the bucket has the same answer
	bucketIn      = 1 << 30 // ... and that answer is "admitted"
	bucketMask    = bucketIn - 1
	maxRanges     = bucketMask // ranges one rangeSet can index
)

// rangeSet is a sorted set of disjoint, non-adjacent [lo, hi] ranges with a
// bucket index over [base, base+span].
//
// Bucket b covers keys base+b<<shift ... base+(b+1)<<shift-1. Its entry names
// j0, the last range whose lo is at or below the bucket's first key (one
// always exists: lo[0] == base). The candidates for a key in bucket b are
// lo[j0 ... j0'] where j0' is the next bucket's j0; a branch-free binary
// search finds the last candidate whose lo is at or below the key, and the
// key is admitted when it is at or below that range's hi. Buckets that no
// range starts in and that one range covers entirely or not at all carry
// their answer in the entry itself, so most lookups read one word.
//
// The zero value is the empty set.
type rangeSet[K rangeKey] struct {
	base  K
	span  K // highest hi - base
	shift uint8
	idx   []uint32 // len buckets+1
	lo    []K
	hi    []K
}

// contains reports whether k lies in one of the ranges. It does not allocate.
func (r *rangeSet[K]) contains(k K) bool {
	off := k - r.base
	if off > r.span || len(r.idx) == 0 {
		return false
	}
	b := off >> r.shift
	e := r.idx[b]
	if e&bucketDecided != 0 {
		return e&bucketIn != 0
	}
	j := int(e & bucketMask)
	n := int(r.idx[b+1]&bucketMask) - j + 1
	lo := r.lo[j : j+n]
	i := 0
	for n > 1 {
		half := n >> 1
		if lo[i+half] <= k {
			i += half
		}
		n -= half
	}
	return k <= r.hi[j+i]
}

// len reports the number of merged ranges.
func (r *rangeSet[K]) len() int { return len(r.lo) }

// newRangeSet indexes sorted, disjoint, non-adjacent ranges with at most
// maxBuckets buckets (a power of two). The slices are kept, not copied.
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
	nb := int(r.span>>r.shift) + 1
	r.idx = make([]uint32, nb+1)
	j := 0
	for b := 0; b <= nb; b++ {
		if b == nb {
			r.idx[b] = uint32(len(lo) - 1)
			break
		}
		start := r.base + K(b)<<r.shift
		for j+1 < len(lo) && lo[j+1] <= start {
			j++
		}
		r.idx[b] = uint32(j)
	}
	for b := 0; b < nb; b++ {
		r.idx[b] = r.classify(b)
	}
	return r
}

// classify returns bucket b's entry with the decided flags filled in.
func (r *rangeSet[K]) classify(b int) uint32 {
	j := r.idx[b]
	if r.idx[b+1]&bucketMask != j {
		return j
	}
	start := r.base + K(b)<<r.shift
	last := start + (K(1)<<r.shift - 1)
	if b == len(r.idx)-2 {
		last = r.base + r.span
	}
	switch h := r.hi[j]; {
	case h >= last && r.lo[j] <= start:
		return j | bucketDecided | bucketIn
	case h < start && (j+1 >= uint32(len(r.lo)) || r.lo[j+1] > last):
		return j | bucketDecided
	}
	return j
}
