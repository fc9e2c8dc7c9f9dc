package allowlist

import (
	"math/bits"
	"net/netip"
)

// List is an immutable matcher. The zero value and nil admit nothing.
// A List is safe for concurrent use. It references the TagSets it was built
// from and holds its own prefixes compiled apart from them, so many Lists can
// share one large TagSet.
type List struct {
	all     bool
	own     matcher
	tag     *TagSet   // the first tag, nil when there is none
	more    []*TagSet // the other tags
	tags    []*TagSet // tag followed by more
	entries []entry
}

// Contains reports whether a is admitted. It does not allocate.
// IPv4-mapped IPv6 addresses are unmapped first; the zero and any invalid
// Addr are never admitted, and neither is any address by a nil List. An
// IPv6 zone is ignored.
//
// The family test reads the address's two halves (addrHalves): an IPv4
// address and an IPv4-mapped IPv6 one have the same halves, ::ffff:a.b.c.d,
// so one comparison both picks IPv4 and unmaps, and no Is4/Is4In6/As4 call
// is made. The zero Addr has zero halves and is caught by IsValid on the
// IPv6 side. A disabled list's own matcher has shapeAll and it has no tag.
func (l *List) Contains(a netip.Addr) bool {
	if l == nil {
		return false
	}
	hi, lo := addrHalves(&a)
	if hi == 0 && lo>>32 == 0xffff {
		if m := &l.own; l.tag == nil { // one call less for lists without a tag
			if m.shape4 == shapeScan { // and two for a short list (scan4 is inlined)
				return scan4(m.v4.lo, m.v4.hi, uint32(lo))
			}
			return m.contains4(uint32(lo))
		}
		return l.contains4(uint32(lo))
	}
	if !a.IsValid() {
		return false
	}
	if l.tag == nil {
		if m := &l.own; m.shape6 == shapeFlat {
			// matcher.flat written out: one call less (its cost is over
			// the inliner's budget). TestShapes checks both copies.
			f := &m.f6
			b := (hi - f.base) >> f.shift
			if hi < f.base || b+1 >= uint64(len(f.start)) {
				return false
			}
			i := int(f.start[b])
			n := int(f.start[b+1]) - i + 1
			w := m.wide.lo
			for n > 1 {
				half := n >> 1
				l := w[i+half]
				_, c := bits.Sub64(lo, l.lo, 0)
				_, c = bits.Sub64(hi, l.hi, c)
				i += half & int(c-1)
				n -= half
			}
			a := u128{hi, lo}
			return !a.less(w[i]) && !m.wide.hi[i].less(a)
		}
		return l.own.contains6(hi, lo)
	}
	return l.contains6(hi, lo)
}

// contains4 looks k up in the first tag and in the own ranges and ORs the
// two answers without a branch: the hit-or-miss branch of "if the tag has
// it, return true" is mispredicted on about half the lookups of a mixed
// workload, which cost more than the own lookup it saves (measured in
// docs/bench/allowlist.md). The first tag's DIR table is read here,
// inlined. l.tag is not nil.
func (l *List) contains4(k uint32) bool {
	t := l.tag
	var in bool
	if d := t.m.d8; d != nil {
		in = d.contains(k)
	} else {
		in = t.m.contains4(k)
	}
	if l.own.shape4 == shapeNone && len(l.more) == 0 {
		return in // a tag alone (a predictable branch: it is the same every call)
	}
	for _, t := range l.more {
		in = b2u(in)|b2u(t.m.contains4(k)) != 0
	}
	if r := &l.own.v4; l.own.shape4 == shapeIndex {
		// The own index's root entry, inlined: with its 16 buckets a range
		// most keys fall in a bucket with no range, a well-predicted branch
		// that saves the call.
		if off := k - r.base; off > r.span || r.idx[off>>r.shift]&kindMask == bucketOut {
			return in
		}
	}
	return b2u(in)|b2u(l.own.contains4(k)) != 0
}

// b2u returns 1 for true and 0 for false; the compiler makes it a zero
// extension, not a branch.
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (m *matcher) contains4(k uint32) bool {
	switch m.shape4 {
	case shapeDir8:
		return m.d8.contains(k)
	case shapeDir:
		return m.d4.contains(k)
	case shapeIndex:
		return m.v4.contains(k)
	case shapeScan:
		return scan4(m.v4.lo, m.v4.hi, k)
	case shapeOne:
		return k-m.v4.lo[0] <= m.v4.hi[0]-m.v4.lo[0]
	}
	return m.shape4 == shapeAll
}

// contains6 is contains4 for IPv6, with an early return on a tag hit: the
// own IPv6 lookup costs more than the branch (measured). l.tag is not nil.
func (l *List) contains6(hi, lo uint64) bool {
	if l.tag.m.contains6(hi, lo) {
		return true
	}
	for _, t := range l.more {
		if t.m.contains6(hi, lo) {
			return true
		}
	}
	return l.own.contains6(hi, lo)
}

// contains6 looks an IPv6 address up in the structure compile chose.
func (m *matcher) contains6(hi, lo uint64) bool {
	if m.shape6 == shapeFlat {
		return m.flat(hi, lo)
	}
	switch m.shape6 {
	case shapeIndex:
		return m.v6.contains(hi)
	case shapeScan:
		return scan6(m.wide.lo, m.wide.hi, u128{hi, lo})
	}
	return m.shape6 == shapeAll
}

// Contains reports whether a is in the tag's prefixes, with the same
// address rules as List.Contains. It does not allocate.
func (t *TagSet) Contains(a netip.Addr) bool {
	if t == nil {
		return false
	}
	hi, lo := addrHalves(&a)
	if hi == 0 && lo>>32 == 0xffff {
		return t.m.contains4(uint32(lo))
	}
	return a.IsValid() && t.m.contains6(hi, lo)
}

// AllowsAll reports whether the list is disabled and admits every address.
func (l *List) AllowsAll() bool { return l != nil && l.all }

// Tags returns the distinct tag sets the list references, in the order added.
func (l *List) Tags() []*TagSet {
	if l == nil {
		return nil
	}
	return append([]*TagSet(nil), l.tags...)
}

// flat is the flat6 lookup (see flat6) of m's 128-bit ranges. It is small
// enough for the compiler to inline into List.Contains, which saves a
// call on every IPv6 lookup of a list without a tag.
func (m *matcher) flat(hi, lo uint64) bool {
	f := &m.f6
	b := (hi - f.base) >> f.shift
	if hi < f.base || b+1 >= uint64(len(f.start)) {
		return false
	}
	i := int(f.start[b])
	n := int(f.start[b+1]) - i + 1
	a, w := u128{hi, lo}, m.wide.lo
	for n > 1 {
		half := n >> 1
		l := w[i+half]
		_, c := bits.Sub64(lo, l.lo, 0)
		_, c = bits.Sub64(hi, l.hi, c)
		i += half & int(c-1)
		n -= half
	}
	return !a.less(w[i]) && !m.wide.hi[i].less(a)
}
