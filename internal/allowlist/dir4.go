package allowlist

// dir4 is a three-level IPv4 table in the DIR-16-8-8 shape: the first 16
// bits of an address index l1, which names a 256-entry node of l2 for the
// next 8 bits, which names a 256-bit bitmap of l3 for the last 8. Node and
// bitmap 0 are all zeros and 1 are all ones, so blocks that are entirely out
// of or entirely in the set share them and every lookup is the same three
// dependent loads with no data-dependent branch.
//
// It costs 128 KiB for l1 (16-bit node numbers: the half-size first level
// measured faster than 32-bit entries) plus 1 KiB per partly covered /16 and
// 32 bytes per partly covered /24, which a TagSet, compiled once and shared, can afford
// (AzureCloud: about 1 MiB); a List's own few ranges use a rangeSet instead.
type dir4 struct {
	l1 *[1 << 16]uint16
	l2 []uint32
	l3 []uint64
}

// contains reports whether k is in the set. It does not allocate.
func (d *dir4) contains(k uint32) bool {
	n := uint32(d.l1[k>>16])
	m := d.l2[n<<8|(k>>8)&0xff]
	w := d.l3[m<<2|(k>>6)&3]
	return w>>(k&63)&1 != 0
}

// newDir4 builds the table from sorted, disjoint, non-adjacent ranges. It
// returns nil when more than 65,534 /16 blocks are partly covered.
func newDir4(lo, hi []uint32) *dir4 {
	d := &dir4{l1: new([1 << 16]uint16)}
	// Visit only the /16 blocks the ranges touch, in order; the others
	// stay 0, the empty node. Partly covered blocks are noted first so that
	// l2 is allocated once, at its final size.
	type partial struct {
		block uint32
		c     rangeCursor
	}
	var parts []partial
	c := rangeCursor{lo: lo, hi: hi}
	next := 0 // the first block not visited yet
	for j := range lo {
		for b := max(int(lo[j]>>16), next); b <= int(hi[j]>>16); b++ {
			s := uint32(b) << 16
			switch c.classify(s, s|0xffff) {
			case blockFull:
				d.l1[b] = 1
			case blockPartial:
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
		d.l1[p.block] = uint16(d.node(p.c, p.block<<16))
	}
	return d
}

var zeroNode [256]uint32

// node adds the l2 node for the partly covered /16 at s and returns its number.
func (d *dir4) node(c rangeCursor, s uint32) uint32 {
	n := uint32(len(d.l2) >> 8)
	base := len(d.l2)
	d.l2 = append(d.l2, zeroNode[:]...)
	for i := range uint32(256) {
		t := s | i<<8
		switch c.classify(t, t|0xff) {
		case blockFull:
			d.l2[base+int(i)] = 1
		case blockPartial:
			d.l2[base+int(i)] = d.bitmap(c, t)
		}
	}
	return n
}

// bitmap adds the l3 bitmap for the partly covered /24 at t.
func (d *dir4) bitmap(c rangeCursor, t uint32) uint32 {
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
	blockEmpty = iota
	blockFull
	blockPartial
)

// rangeCursor walks sorted ranges as blocks are visited in increasing order.
type rangeCursor struct {
	lo, hi []uint32
	j      int // first range whose hi is at or above the last block's start
}

// classify reports how the ranges cover [s, e] and leaves the cursor at the
// first range that ends at or after s. Calls must not go backwards in s.
func (c *rangeCursor) classify(s, e uint32) int {
	for c.j < len(c.hi) && c.hi[c.j] < s {
		c.j++
	}
	switch {
	case c.j == len(c.lo) || c.lo[c.j] > e:
		return blockEmpty
	case c.lo[c.j] <= s && c.hi[c.j] >= e:
		return blockFull
	}
	return blockPartial
}
