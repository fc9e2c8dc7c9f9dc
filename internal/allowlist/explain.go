package allowlist

import (
	"fmt"
	"net/netip"
)

// Decision explains one answer.
type Decision struct {
	Allowed bool
	Entry   string       // the list item that admitted the address
	Tag     string       // the tag name when Entry is a tag
	Prefix  netip.Prefix // the matching prefix (the tag's prefix for tags)
	// ChangeNumber is the tag document's changeNumber when Tag is set.
	ChangeNumber int64
	Reason       string // human-readable: "matched 20.20.20.20/32", "not in any entry", "list disabled"
}

// Explain returns the decision for a and the entry that decided it: the
// first entry, in the order added, that contains a, and for a tag its most
// specific prefix that contains a. It agrees with Contains (an IPv6 zone is
// ignored). It is meant for audit and debugging, not the connection path:
// a refused address costs one Contains, an admitted one a scan of the
// entries and of the prefixes of the one tag that holds it.
func (l *List) Explain(a netip.Addr) Decision {
	switch {
	case l == nil:
		return Decision{Reason: "no list (deny)"}
	case !a.IsValid():
		return Decision{Reason: "invalid address"}
	case l.all:
		return Decision{Allowed: true, Reason: "list disabled"}
	}
	a = a.Unmap().WithZone("")
	if !l.Contains(a) {
		// No entry holds a: say so without scanning every tag's
		// prefixes (AzureCloud's 10,000+ for each refused address).
		return Decision{Reason: "not in any entry"}
	}
	for _, e := range l.entries {
		if e.tag == nil {
			if e.prefix.Contains(a) {
				return Decision{Allowed: true, Entry: e.name, Prefix: e.prefix,
					Reason: "matched " + e.prefix.String()}
			}
			continue
		}
		if !e.tag.Contains(a) {
			continue // the tag's table answers first: scan only the tag that holds a
		}
		if p, ok := e.tag.match(a); ok {
			return Decision{Allowed: true, Entry: e.name, Tag: e.tag.name, Prefix: p, ChangeNumber: e.tag.changeNumber,
				Reason: fmt.Sprintf("matched %s of service tag %s (change %d)", p, e.tag.name, e.tag.changeNumber)}
		}
	}
	return Decision{Reason: "not in any entry"}
}

// match returns the most specific prefix of t that contains a.
func (t *TagSet) match(a netip.Addr) (netip.Prefix, bool) {
	var best netip.Prefix
	t.prefixes.each(func(p netip.Prefix) bool {
		if p.Contains(a) && (!best.IsValid() || p.Bits() > best.Bits()) {
			best = p
		}
		return true
	})
	return best, best.IsValid()
}
