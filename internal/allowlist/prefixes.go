package allowlist

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// prefixList holds a TagSet's prefixes in the order given, compactly and
// without pointers: a netip.Prefix is 32 bytes and holds a pointer, which
// costs write barriers while a tag is compiled and a scan in every garbage
// collection while it lives. Each prefix is a code byte for its family and
// length, and its masked address: 4 bytes for IPv4, 8 for the upper half of
// an IPv6 prefix of /64 and shorter, 16 for a longer one (AzureCloud: 79 KB
// against 418 KB as netip.Prefix).
type prefixList struct {
	codes []uint8  // IPv6 /n is n, IPv4 /n is code4+n
	v4    []uint32 // IPv4 addresses, in order
	v6    []uint64 // IPv6 addresses (one or two words), in order
}

const code4 = 129

// newPrefixList returns an empty list with room for prefixes (IPv6 ones
// of /64 or shorter and IPv4 ones that are not IPv4-mapped take no more).
func newPrefixList(prefixes []netip.Prefix) prefixList {
	n4 := 0
	for _, p := range prefixes {
		if p.Addr().Is4() {
			n4++
		}
	}
	return prefixList{
		codes: make([]uint8, 0, len(prefixes)),
		v4:    make([]uint32, 0, n4),
		v6:    make([]uint64, 0, len(prefixes)-n4),
	}
}

// add appends p.
func (l *prefixList) add(p tagPrefix) {
	switch {
	case p.is4:
		l.codes = append(l.codes, code4+p.bits)
		l.v4 = append(l.v4, uint32(p.lo))
	case p.bits <= 64:
		l.codes = append(l.codes, p.bits)
		l.v6 = append(l.v6, p.hi)
	default:
		l.codes = append(l.codes, p.bits)
		l.v6 = append(l.v6, p.hi, p.lo)
	}
}

// len reports the number of prefixes.
func (l *prefixList) len() int { return len(l.codes) }

// each calls f with every prefix, in order, until f returns false.
func (l *prefixList) each(f func(netip.Prefix) bool) {
	i4, i6 := 0, 0
	for _, c := range l.codes {
		var p netip.Prefix
		switch {
		case c >= code4:
			p = netip.PrefixFrom(addr4(l.v4[i4]), int(c-code4))
			i4++
		case c <= 64:
			p = netip.PrefixFrom(addr6(u128{l.v6[i6], 0}), int(c))
			i6++
		default:
			p = netip.PrefixFrom(addr6(u128{l.v6[i6], l.v6[i6+1]}), int(c))
			i6 += 2
		}
		if !f(p) {
			return
		}
	}
}

// addr6 returns the IPv6 address of k.
func addr6(k u128) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	return netip.AddrFrom16(b)
}

// Parts returns what the list admits in parts: its own prefixes (CIDRs,
// addresses, system ranges) and the tag sets it references, each once; all
// reports a disabled list (every address), and a nil List returns nothing.
// A tag set is shared by every list that names the same tag version, so a
// caller that unions many lists (internal/prefilter) takes each set's
// Prefixes once instead of once per list: Prefixes of 100,000 lists that
// name AzureCloud would repeat its 10,000+ prefixes 100,000 times.
func (l *List) Parts() (own []netip.Prefix, tags []*TagSet, all bool) {
	switch {
	case l == nil:
		return nil, nil, false
	case l.all:
		return nil, nil, true
	}
	for _, e := range l.entries {
		switch {
		case e.tag == nil:
			own = append(own, e.prefix)
		case !slices.Contains(tags, e.tag):
			tags = append(tags, e.tag)
		}
	}
	return own, tags, false
}
