package gateway

import (
	"net/netip"
	"time"
)

// Admitter returns the decision function of r at now: whether the route
// admits an address (its list, else an unexpired grant), the verdict
// Explain gives, without finding the deciding entry. The grants are
// prepared once, so checking many addresses (the cut-off guard's recent
// clients) costs one Contains each, not Explain's scan of a tag's
// prefixes. An invalid address is refused.
func Admitter(r *Route, now time.Time) func(netip.Addr) bool {
	_, keys, _ := prepareGrants(r.Grants)
	at := now.UnixNano()
	return func(a netip.Addr) bool {
		a = a.Unmap().WithZone("")
		if !a.IsValid() {
			return false
		}
		return r.Allow.Contains(a) || grantAt(keys, a, at) >= 0
	}
}
