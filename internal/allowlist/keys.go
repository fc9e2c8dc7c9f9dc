package allowlist

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
)

// tagPrefix is one valid, masked, normalized prefix as integers. An IPv4
// address is in the low 32 bits of lo.
type tagPrefix struct {
	hi, lo uint64
	bits   uint8
	is4    bool
}

// toTagPrefix masks and normalizes p (see normalize). ok is false when p is
// invalid. It reads the address through addrHalves: netip keeps an IPv4
// address in the low 32 bits, as the IPv4-mapped IPv6 address.
func toTagPrefix(p netip.Prefix) (tp tagPrefix, ok bool) {
	bits := p.Bits() // -1 when p is invalid
	if bits < 0 {
		return tagPrefix{}, false
	}
	a := p.Addr()
	hi, lo := addrHalves(&a)
	if a.Is4() || bits >= 96 && hi == 0 && lo>>32 == 0xffff { // IPv4, or mapped
		if !a.Is4() {
			bits -= 96
		}
		v4 := uint32(lo) &^ lastHostBits32(bits)
		return tagPrefix{lo: uint64(v4), bits: uint8(bits), is4: true}, true
	}
	if bits <= 64 {
		hi, lo = hi&^lastHostBits64(bits), 0
	} else {
		lo &^= lastHostBits64(bits - 64)
	}
	return tagPrefix{hi: hi, lo: lo, bits: uint8(bits)}, true
}

// keySet collects prefixes as integer ranges, one slice per lookup
// structure, for compile.
type keySet struct {
	k4       []uint64 // IPv4 ranges as lo<<32 | hi: sorting the keys sorts by lo
	r6       []pair64 // IPv6 ranges of /64 and shorter, by their upper 64 bits
	loW, hiW []u128   // IPv6 prefixes longer than /64
}

type pair64 struct{ lo, hi uint64 }

// getKeySet returns an empty keySet from a pool. The keys are garbage once
// compile has merged them (over 100 KiB for a large tag), so a TagSet
// compile borrows them.
func getKeySet() *keySet {
	ks := keySetPool.Get().(*keySet)
	ks.k4, ks.r6 = ks.k4[:0], ks.r6[:0]
	ks.loW, ks.hiW = nil, nil
	return ks
}

// putKeySet returns ks to the pool.
func putKeySet(ks *keySet) {
	ks.loW, ks.hiW = nil, nil // merged wide ranges may be kept by a matcher
	keySetPool.Put(ks)
}

var keySetPool = sync.Pool{New: func() any { return new(keySet) }}

// add adds a prefix made by toTagPrefix.
func (ks *keySet) add(p tagPrefix) {
	switch {
	case p.is4:
		lo := p.lo
		ks.k4 = append(ks.k4, lo<<32|lo|uint64(lastHostBits32(int(p.bits))))
	case p.bits <= 64:
		ks.r6 = append(ks.r6, pair64{p.hi, p.hi | lastHostBits64(int(p.bits))})
	default:
		ks.loW = append(ks.loW, u128{p.hi, p.lo})
		ks.hiW = append(ks.hiW, u128{p.hi, p.lo | lastHostBits64(int(p.bits)-64)})
	}
}

// merge4 returns the IPv4 ranges sorted and merged (see mergeRanges). It
// sorts ks.k4 in place: plain uint64 keys sort several times faster than
// pairs through a comparison function.
func (ks *keySet) merge4() (lo, hi []uint32) {
	if !slices.IsSorted(ks.k4) { // service tags come sorted
		slices.Sort(ks.k4)
	}
	n := 0 // merged ranges, written back over the keys
	for _, k := range ks.k4 {
		l, h := uint32(k>>32), uint32(k)
		if n > 0 {
			plo, phi := uint32(ks.k4[n-1]>>32), uint32(ks.k4[n-1])
			if phi == ^uint32(0) || l <= phi+1 {
				ks.k4[n-1] = uint64(plo)<<32 | uint64(max(phi, h))
				continue
			}
		}
		ks.k4[n] = k
		n++
	}
	if n == 0 {
		return nil, nil
	}
	lo, hi = make([]uint32, n), make([]uint32, n)
	for i, k := range ks.k4[:n] {
		lo[i], hi[i] = uint32(k>>32), uint32(k)
	}
	return lo, hi
}

// merge6 is merge4 for the IPv6 ranges of /64 and shorter.
func (ks *keySet) merge6() (lo, hi []uint64) {
	r := ks.r6
	if !slices.IsSortedFunc(r, comparePair64) { // service tags come sorted
		slices.SortFunc(r, comparePair64)
	}
	n := 0
	for _, p := range r {
		if n > 0 && (r[n-1].hi == ^uint64(0) || p.lo <= r[n-1].hi+1) {
			r[n-1].hi = max(r[n-1].hi, p.hi)
			continue
		}
		r[n] = p
		n++
	}
	if n == 0 {
		return nil, nil
	}
	lo, hi = make([]uint64, n), make([]uint64, n)
	for i, p := range r[:n] {
		lo[i], hi[i] = p.lo, p.hi
	}
	return lo, hi
}

func comparePair64(a, b pair64) int { return cmp.Compare(a.lo, b.lo) }

// mergeWide sorts 128-bit ranges by lo and joins overlapping and adjacent
// ones.
func mergeWide(lo, hi []u128) ([]u128, []u128) {
	if len(lo) == 0 {
		return nil, nil
	}
	idx := make([]int, len(lo))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(lo[a].hi, lo[b].hi); c != 0 {
			return c
		}
		return cmp.Compare(lo[a].lo, lo[b].lo)
	})
	var outLo, outHi []u128
	for _, i := range idx {
		n := len(outLo)
		if n > 0 {
			next, wrapped := outHi[n-1].addOne()
			if wrapped || !next.less(lo[i]) {
				if outHi[n-1].less(hi[i]) {
					outHi[n-1] = hi[i]
				}
				continue
			}
		}
		outLo = append(outLo, lo[i])
		outHi = append(outHi, hi[i])
	}
	return outLo, outHi
}
