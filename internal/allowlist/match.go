package allowlist

import "net/netip"

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
		if l.tag == nil { // one call less for lists without a tag
			return l.own.contains4(uint32(lo))
		}
		return l.contains4(uint32(lo))
	}
	if !a.IsValid() {
		return false
	}
	if l.tag == nil {
		return l.own.contains6(hi, lo)
	}
	return l.contains6(hi, lo)
}

// contains4 checks the tag first: with a large tag most admitted addresses
// are the tag's, and a miss must look in both anyway.
// The first tag's DIR table is read here, inlined, to save a call on the
// common path. l.tag is not nil.
func (l *List) contains4(k uint32) bool {
	t := l.tag
	if d := t.m.d4; d != nil {
		if d.contains(k) {
			return true
		}
	} else if t.m.contains4(k) {
		return true
	}
	for _, t := range l.more {
		if t.m.contains4(k) {
			return true
		}
	}
	return l.own.contains4(k)
}

func (m *matcher) contains4(k uint32) bool {
	switch m.shape4 {
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

// contains6 is contains4 for IPv6. l.tag is not nil.
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
	switch m.shape6 {
	case shapeIndex:
		return m.v6.contains(hi)
	case shapeScan:
		return scan6(m.wide.lo, m.wide.hi, u128{hi, lo})
	case shapeFlat:
		return m.f6.contains(m.wide.lo, m.wide.hi, u128{hi, lo})
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
