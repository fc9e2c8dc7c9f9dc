package allowlist

import "net/netip"

// refList is the slow reference: a naive loop over the prefixes.
type refList struct {
	all      bool
	prefixes []netip.Prefix // normalized
}

func newRef(prefixes []netip.Prefix) *refList {
	r := &refList{prefixes: make([]netip.Prefix, len(prefixes))}
	for i, p := range prefixes {
		r.prefixes[i] = UnmapPrefix(p)
	}
	return r
}

func (r *refList) contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	if r.all {
		return true
	}
	for _, p := range r.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
