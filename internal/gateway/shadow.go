package gateway

import (
	"net/netip"
	"time"
)

// Shadow outcomes, as they appear in tagwall_shadow_decisions_total and in
// the reason of "shadow" audit lines.
const (
	ShadowWouldDeny  = "would-deny"  // admitted now; the shadow list would refuse it
	ShadowWouldAdmit = "would-admit" // refused now; the shadow list would admit it
	// ShadowAuditWindow is the window in which one client's disagreements
	// of one route and outcome collapse into one audit line with a count.
	ShadowAuditWindow = time.Minute
	// msgShadow is the msg of shadow audit lines.
	msgShadow = "shadow"
)

// shadowCheck evaluates e's shadow list (when it has one) for a connection
// the enforced decision admitted (admitted) or refused, and counts and
// audits a disagreement. It enforces nothing. An agreement costs one
// Contains and does not allocate.
func (g *Gateway) shadowCheck(e *routeEntry, admitted bool, client netip.Addr, peer netip.AddrPort, sni []byte) {
	if e == nil || e.Shadow == nil || e.Stopped || e.shadowAdmits(client) == admitted {
		return
	}
	outcome := ShadowWouldAdmit
	if admitted {
		outcome = ShadowWouldDeny
		e.wouldDeny.Inc()
	} else {
		e.wouldAdmit.Inc()
	}
	g.audit(msgShadow, e, outcome, client, peer, sni, e.Version)
}
