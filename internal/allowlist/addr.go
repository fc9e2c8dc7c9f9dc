package allowlist

import (
	"encoding/binary"
	"net/netip"
	"unsafe"
)

// UnmapPrefix returns the IPv4 prefix that an IPv4-mapped IPv6 prefix of
// /96 or longer maps (::ffff:10.0.0.0/104 is 10.0.0.0/8), and any other p
// unchanged; it does not mask. Lists unmap addresses before lookup, so
// every user of a prefix beside them (grants, the kernel prefilter) unmaps
// prefixes with it to agree.
func UnmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// addrHalves returns the upper and lower 64 bits of a 16-byte address.
//
// netip.Addr keeps them as two uint64 fields at the front of the struct, and
// reading them in place saves the copy through As16's [16]byte, which costs
// a store-forwarding stall on every IPv6 lookup (about a third of the
// lookup). The layout is checked once at start-up against As16; if a future
// Go changes it, layoutOK is false and the portable path is used.
func addrHalves(a *netip.Addr) (hi, lo uint64) {
	if layoutOK {
		h := (*[2]uint64)(unsafe.Pointer(a))
		return h[0], h[1]
	}
	return addrHalvesSlow(*a)
}

func addrHalvesSlow(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

var layoutOK = checkLayout()

// checkLayout reports whether netip.Addr starts with its address as two
// uint64 halves, upper first.
func checkLayout() bool {
	if unsafe.Sizeof(netip.Addr{}) < 16 {
		return false
	}
	for _, s := range []string{"2001:db8:1234:5678:9abc:def0:1122:3344", "::ffff:1.2.3.4", "ffff::1"} {
		a := netip.MustParseAddr(s)
		h := (*[2]uint64)(unsafe.Pointer(&a))
		hi, lo := addrHalvesSlow(a)
		if h[0] != hi || h[1] != lo {
			return false
		}
	}
	return true
}
