package routecompile

import (
	"net/netip"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/state"
)

// Grants turns a cluster's stored access grants into the front door's
// (nil for none). A grant whose range does not parse (the API stores only
// valid ones) is left out: it admits no one.
func Grants(gs []state.AccessGrant) []gateway.Grant {
	if len(gs) == 0 {
		return nil
	}
	out := make([]gateway.Grant, 0, len(gs))
	for _, g := range gs {
		if p, err := netip.ParsePrefix(g.Range); err == nil {
			out = append(out, gateway.Grant{Name: g.Name, Prefix: p, Expires: g.ExpiresAt, Reason: g.Reason})
		}
	}
	return out
}
