package allowlist

// dir4 is a three-level IPv4 table in the DIR-16-8-8 shape: the first 16
// bits of an address index l1, which names a 256-entry node of l2 for the
// next 8 bits, which names a 256-bit bitmap of l3 for the last 8. Node and
// bitmap 0 are all zeros and 1 are all ones, so blocks that are entirely out
// of or entirely in the set share them and every lookup is the same three
// dependent loads with no data-dependent branch.
//
// It costs 128 KiB for l1 (16-bit node numbers: the half-size first level
// measured faster than 32-bit entries) plus 512 bytes per partly covered /16
// (16-bit bitmap numbers: half the memory to allocate and fill of 32-bit
// ones) and 32 bytes per partly covered /24, which a TagSet, compiled once
// and shared, can afford (AzureCloud: about 230 KiB); a List's own few
// ranges use a rangeSet instead.
//
// When no more than 254 /16 blocks and 254 /24 blocks are partly covered
// (AzureCloud: 194 and 204), node and bitmap numbers fit in a byte and the
// table is a dir4[uint8]: 64 KiB for l1 and 256 bytes a node, half the
// cache footprint (measured in docs/bench/allowlist.md).
type dir4[T dirEntry] struct {
	l1 *[1 << 16]T
	l2 []T
	l3 []uint64
}

// dirEntry is the type of a dir4's node and bitmap numbers.
type dirEntry interface{ ~uint8 | ~uint16 }

// contains reports whether k is in the set. It does not allocate.
func (d *dir4[T]) contains(k uint32) bool {
	n := uint32(d.l1[k>>16])
	m := uint32(d.l2[n<<8|(k>>8)&0xff])
	w := d.l3[m<<2|(k>>6)&3]
	return w>>(k&63)&1 != 0
}

// newDir4 builds the table from sorted, disjoint, non-adjacent ranges. It
// returns nil when more than 65,534 /16 or /24 blocks are partly covered.
//
// A first pass counts the partly covered /16 and /24 blocks so that l2 and
// l3 are allocated once at their final size; a second paints each range into
// the table: whole /16s in l1, whole /24s of a node in l2, the rest as bits
// of a bitmap. Nodes and bitmaps are numbered in address order.
func newDir4(lo, hi []uint32) *dir4[uint16] {
	nodes, maps := countDir4(lo, hi)
	return newDir[uint16](lo, hi, nodes, maps)
}

func newDir[T dirEntry](lo, hi []uint32, nodes, maps int) *dir4[T] {
	limit := int(^T(0)) + 1
	if nodes+2 > limit || maps+2 > limit {
		return nil // too many for T's node and bitmap numbers
	}
	d := &dir4[T]{
		l1: new([1 << 16]T),
		l2: make([]T, (2+nodes)*256),
		l3: make([]uint64, (2+maps)*4),
	}
	for i := 256; i < 512; i++ {
		d.l2[i] = 1
	}
	for i := 4; i < 8; i++ {
		d.l3[i] = ^uint64(0)
	}
	p := dir4Painter[T]{d: d, node: 2, bitmap: 2}
	for j := range lo {
		p.paint(uint64(lo[j]), uint64(hi[j]))
	}
	return d
}

// countDir4 returns the number of partly covered /16 and /24 blocks of
// sorted, disjoint, non-adjacent ranges. A block one range covers entirely
// is touched by no other range, so only the first and last blocks of each
// range can be partly covered.
func countDir4(lo, hi []uint32) (nodes, maps int) {
	last16, last24 := int64(-1), int64(-1)
	for j := range lo {
		a, b := lo[j], hi[j]
		for _, x := range [2]uint32{a, b} {
			if s := x &^ 0xffff; (a > s || b < s|0xffff) && int64(x>>16) != last16 {
				nodes++
				last16 = int64(x >> 16)
			}
			if s := x &^ 0xff; (a > s || b < s|0xff) && int64(x>>8) != last24 {
				maps++
				last24 = int64(x >> 8)
			}
		}
	}
	return nodes, maps
}

// dir4Painter fills a dir4 sized by countDir4.
type dir4Painter[T dirEntry] struct {
	d            *dir4[T]
	node, bitmap uint32 // the next free node and bitmap numbers
}

// paint adds the range [a, b] (64-bit so that the end of the address space
// does not wrap).
func (p *dir4Painter[T]) paint(a, b uint64) {
	l1 := p.d.l1
	for a <= b {
		end := a | 0xffff
		if a&0xffff == 0 && b >= end {
			l1[a>>16] = 1
			a = end + 1
			continue
		}
		n := uint32(l1[a>>16])
		if n == 0 {
			n = p.node
			p.node++
			l1[a>>16] = T(n)
		}
		a = p.paintNode(n, a, min(b, end)) + 1
	}
}

// paintNode adds [a, e], which lies in one /16, to node n and returns e.
func (p *dir4Painter[T]) paintNode(n uint32, a, e uint64) uint64 {
	l2 := p.d.l2[n<<8 : n<<8+256]
	for a <= e {
		end := a | 0xff
		slot := a >> 8 & 0xff
		if a&0xff == 0 && e >= end {
			// A run of whole /24s.
			n := (e - a + 1) >> 8
			fill1(l2[slot : slot+n])
			a += n << 8
			continue
		}
		m := uint32(l2[slot])
		if m == 0 {
			m = p.bitmap
			p.bitmap++
			l2[slot] = T(m)
		}
		to := min(e, end)
		setBits((*[4]uint64)(p.d.l3[m<<2:m<<2+4]), uint32(a&0xff), uint32(to&0xff))
		a = to + 1
	}
	return e
}

// setBits sets bits from through to (0-255, from <= to) of a 256-bit bitmap.
func setBits(w *[4]uint64, from, to uint32) {
	for i := from >> 6; i <= to>>6; i++ {
		lo, hi := max(from, i<<6)&63, min(to, i<<6|63)&63
		w[i] |= ^uint64(0) >> (63 - (hi - lo)) << lo
	}
}

// fill1 sets every entry of s to 1, the full bitmap.
func fill1[T dirEntry](s []T) {
	for i := range s {
		s[i] = 1
	}
}
