package allowlist

import (
	"encoding/binary"
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
func (l *List) Contains(a netip.Addr) bool {
	if l == nil {
		return false
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		if l.all {
			return true
		}
		b := a.As4()
		return l.contains4(binary.BigEndian.Uint32(b[:]))
	}
	if !a.Is6() {
		return false
	}
	if l.all {
		return true
	}
	return l.contains6(addrHalves(&a))
}

// contains4 checks the tag first: with a large tag most admitted addresses
// are the tag's, and a miss must look in both anyway.
func (l *List) contains4(k uint32) bool {
	if t := l.tag; t != nil {
		if t.m.contains4(k) {
			return true
		}
		for _, t := range l.more {
			if t.m.contains4(k) {
				return true
			}
		}
	}
	return l.own.contains4(k)
}

func (m *matcher) contains4(k uint32) bool {
	if m.d4 != nil {
		return m.d4.contains(k)
	}
	return m.v4.contains(k)
}

func (l *List) contains6(hi, lo uint64) bool {
	if t := l.tag; t != nil {
		if t.m.contains6(hi, lo) {
			return true
		}
		for _, t := range l.more {
			if t.m.contains6(hi, lo) {
				return true
			}
		}
	}
	return l.own.contains6(hi, lo)
}

// contains6 looks the upper half of the address up first: the lower half
// matters only to prefixes longer than /64, which are rare and few.
func (m *matcher) contains6(hi, lo uint64) bool {
	switch m.mode6 {
	case mode6Upper:
		return m.v6.contains(hi)
	case mode6Wide:
		return m.wide.contains(u128{hi, lo})
	}
	if !m.v6any.contains(hi) {
		return false
	}
	return m.v6.contains(hi) || m.wide.contains(u128{hi, lo})
}

// Contains reports whether a is in the tag's prefixes, with the same
// address rules as List.Contains. It does not allocate.
func (t *TagSet) Contains(a netip.Addr) bool {
	if t == nil {
		return false
	}
	a = a.Unmap()
	switch {
	case a.Is4():
		b := a.As4()
		return t.m.contains4(binary.BigEndian.Uint32(b[:]))
	case a.Is6():
		return t.m.contains6(addrHalves(&a))
	}
	return false
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
