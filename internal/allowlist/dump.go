package allowlist

import (
	"fmt"
	"net/netip"
	"strings"
)

// String returns a multi-line dump of the compiled list: its entries in
// order, its own merged ranges and the tags it references. It is meant for
// debugging and golden tests; the format may change.
func (l *List) String() string {
	if l == nil {
		return "allowlist <nil> (deny all)\n"
	}
	var sb strings.Builder
	if l.all {
		sb.WriteString("allowlist disabled (allow all)\n")
	}
	fmt.Fprintf(&sb, "entries %d\n", len(l.entries))
	for _, e := range l.entries {
		if e.tag != nil {
			fmt.Fprintf(&sb, "  %q tag %s\n", e.name, e.tag.name)
			continue
		}
		fmt.Fprintf(&sb, "  %q %s\n", e.name, e.prefix)
	}
	writeRanges(&sb, "own", &l.own)
	for _, t := range l.tags {
		v4, v6 := t.Ranges()
		fmt.Fprintf(&sb, "tag %s change %d: %d prefixes, %d IPv4 and %d IPv6 ranges\n",
			t.name, t.changeNumber, t.prefixes.len(), v4, v6)
	}
	return sb.String()
}

// writeRanges dumps the merged ranges of m.
func writeRanges(sb *strings.Builder, name string, m *matcher) {
	fmt.Fprintf(sb, "%s ranges %d\n", name, m.v4.len()+m.v6.len()+len(m.wide.lo))
	for i := range m.v4.lo {
		lo, hi := m.v4.lo[i], m.v4.hi[i]
		fmt.Fprintf(sb, "  %s - %s\n", addr4(lo), addr4(hi))
	}
	for i := range m.v6.lo {
		lo, hi := m.v6.lo[i], m.v6.hi[i]
		fmt.Fprintf(sb, "  %s - %s\n", addr6(u128{lo, 0}), addr6(u128{hi, ^uint64(0)}))
	}
	for i := range m.wide.lo {
		fmt.Fprintf(sb, "  %s - %s\n", addr6(m.wide.lo[i]), addr6(m.wide.hi[i]))
	}
}

func addr4(k uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)})
}
