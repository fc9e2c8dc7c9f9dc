package gateway

import (
	"net/netip"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// Kinds of deciding entry in an Explanation.
const (
	KindRange    = "range"    // a CIDR or address of the list
	KindTag      = "tag"      // a prefix of a service tag of the list
	KindSystem   = "system"   // a system range (the cluster's own egress)
	KindGrant    = "grant"    // an unexpired grant
	KindDisabled = "disabled" // the list is disabled: everyone is admitted
	KindNone     = "none"     // nothing admits the address
)

// systemEntry is the entry name routecompile gives the system ranges.
const systemEntry = "system"

// Explanation is the answer to "why is this address admitted or refused
// on this route": the verdict of the list in force and the entry that
// decided it, and the shadow list's verdict when the route has one.
type Explanation struct {
	Route   string
	Addr    netip.Addr // unmapped, no zone
	Allowed bool
	Kind    string       // KindRange, KindTag, KindSystem, KindGrant, KindDisabled or KindNone
	Entry   string       // the list entry (tag name, CIDR) or the grant name
	Prefix  netip.Prefix // the matching prefix (a tag's most specific one)
	// Tag and ChangeNumber name the tag and its document version (KindTag).
	Tag          string
	ChangeNumber int64
	// Expires and GrantReason describe the grant (KindGrant).
	Expires     time.Time
	GrantReason string
	Version     string // the route's allowlist version
	// Shadow is the shadow list's verdict; nil when the route has none.
	Shadow *ShadowVerdict
}

// ShadowVerdict is what the route's shadow list would decide.
type ShadowVerdict struct {
	Allowed bool
	Kind    string
	Entry   string
	Prefix  netip.Prefix
}

// Explain returns the decision r takes for a at now and the entry that
// decided it: the first list entry that contains a (for a tag, its most
// specific prefix), else the grant that expires last among those that
// admit a. An invalid address is refused (KindNone). It scans and is meant
// for the API and the CLI, not the connection path.
func Explain(r *Route, a netip.Addr, now time.Time) Explanation {
	a = a.Unmap().WithZone("")
	x := Explanation{Route: r.Name, Addr: a, Version: r.Version, Kind: KindNone}
	gs, keys, _ := prepareGrants(r.Grants)
	x.Allowed, x.Kind, x.Entry, x.Prefix = explainList(r.Allow, a, &x)
	if !x.Allowed && a.IsValid() {
		if i := grantAt(keys, a, now.UnixNano()); i >= 0 {
			x.Allowed, x.Kind, x.Entry, x.Prefix = true, KindGrant, gs[i].Name, gs[i].Prefix
			x.Expires, x.GrantReason = gs[i].Expires, gs[i].Reason
		}
	}
	if r.Shadow != nil {
		var sx Explanation
		v := ShadowVerdict{}
		v.Allowed, v.Kind, v.Entry, v.Prefix = explainList(r.Shadow, a, &sx)
		if !v.Allowed && a.IsValid() {
			if i := grantAt(keys, a, now.UnixNano()); i >= 0 {
				v.Allowed, v.Kind, v.Entry, v.Prefix = true, KindGrant, gs[i].Name, gs[i].Prefix
			}
		}
		x.Shadow = &v
	}
	return x
}

// explainList explains l's verdict for a, filling x's tag fields.
func explainList(l *allowlist.List, a netip.Addr, x *Explanation) (bool, string, string, netip.Prefix) {
	if !a.IsValid() || l == nil {
		return false, KindNone, "", netip.Prefix{}
	}
	d := l.Explain(a)
	switch {
	case !d.Allowed:
		return false, KindNone, "", netip.Prefix{}
	case l.AllowsAll():
		return true, KindDisabled, "", netip.Prefix{}
	case d.Tag != "":
		x.Tag, x.ChangeNumber = d.Tag, d.ChangeNumber
		return true, KindTag, d.Tag, d.Prefix
	case d.Entry == systemEntry:
		return true, KindSystem, d.Entry, d.Prefix
	}
	return true, KindRange, d.Prefix.String(), d.Prefix
}

// Explain explains the decision of the route named route (Route.Name) in
// force for a, now; false when there is no such route.
func (g *Gateway) Explain(route string, a netip.Addr) (Explanation, bool) {
	e := g.table.Load().byName.get(route)
	if e == nil {
		return Explanation{}, false
	}
	return Explain(&e.Route, a, time.Now()), true
}

// ExplainSNI explains the decision for a connection from a naming server
// name sni (the default route when no route has that name); false when no
// route would take it.
func (g *Gateway) ExplainSNI(sni string, a netip.Addr) (Explanation, bool) {
	e := g.table.Load().lookup([]byte(sni))
	if e == nil {
		return Explanation{}, false
	}
	return Explain(&e.Route, a, time.Now()), true
}
