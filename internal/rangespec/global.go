package rangespec

import "net/netip"

// Two notions of "global" live here, each an explicit table searched
// linearly (the tables are short and the check runs once per entry).
//
// pyIsGlobal is CPython 3.11.7's IPv4Network.is_global / IPv6Network.is_global,
// which az's validators use: a network is private when its first and last
// addresses both fall inside ONE block of _private_networks (so 0.0.0.0/0 is
// global: it is not inside any block), and an IPv4 network is also
// non-global when it lies inside 100.64.0.0/10. Multicast (224.0.0.0/4) is
// global there. These tables are copied from Lib/ipaddress.py of 3.11.7
// (_IPv4Constants/_IPv6Constants); 3.11.10 and 3.12.4 changed them, which is
// why the version is pinned.
//
// serverIsGlobal is tagwall's own, documented rule for ModeServer: the IANA
// special-purpose registries' "not globally reachable" blocks, plus
// multicast, plus (IPv6) everything outside global unicast 2000::/3, minus
// the registries' globally reachable exceptions. A prefix is refused when it
// lies entirely inside one such block and not entirely inside an exception,
// so wide prefixes that merely contain private space (0.0.0.0/0, ::/0,
// 8.0.0.0/5) are accepted, as in Python.

var pyPrivate = mustPrefixes(
	// _IPv4Constants._private_networks (3.11.7)
	"0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/29", "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
	"255.255.255.255/32",
	// _IPv6Constants._private_networks (3.11.7)
	"::1/128", "::/128", "::ffff:0:0/96", "100::/64", "2001::/23", "2001:2::/48",
	"2001:db8::/32", "2001:10::/28", "fc00::/7", "fe80::/10",
)

// pySharedAddressSpace is _IPv4Constants._public_network, the RFC 6598
// carrier-grade NAT block that IPv4Network.is_global excludes separately.
var pySharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// pyIsGlobal reports whether Python 3.11.7 calls the network global.
func pyIsGlobal(p netip.Prefix) bool {
	if p.Addr().Is4() && within(p, pySharedAddressSpace) {
		return false
	}
	for _, b := range pyPrivate {
		if within(p, b) {
			return false
		}
	}
	return true
}

var serverNonGlobal = mustPrefixes(
	// IPv4 special-purpose registry, Globally Reachable = False
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", // multicast: never a client's source address
	"240.0.0.0/4", // reserved, including 255.255.255.255
	// IPv6: everything outside global unicast 2000::/3 (loopback,
	// unspecified, IPv4-mapped, NAT64, discard, ULA, link-local, multicast)
	"::/3", "4000::/2", "8000::/1",
	// IPv6 special-purpose registry inside 2000::/3, Globally Reachable = False
	"2001::/23", "2001:db8::/32", "3fff::/20",
)

var serverGlobalExceptions = mustPrefixes(
	"192.0.0.9/32", "192.0.0.10/32", // PCP and TURN anycast
	"2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32",
	"2001:4:112::/48", "2001:20::/28", "2001:30::/28",
)

// serverIsGlobal reports whether ModeServer accepts p as a client range.
func serverIsGlobal(p netip.Prefix) bool {
	for _, e := range serverGlobalExceptions {
		if within(p, e) {
			return true
		}
	}
	for _, b := range serverNonGlobal {
		if within(p, b) {
			return false
		}
	}
	return true
}

// within reports whether every address of p lies in b (same family).
func within(p, b netip.Prefix) bool {
	return p.Addr().BitLen() == b.Addr().BitLen() && b.Bits() <= p.Bits() && b.Contains(p.Addr())
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}
