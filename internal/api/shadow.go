package api

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/state"
)

// AccessInspector answers from the front door in force (a
// *gateway.Gateway satisfies it); route names are cluster resource IDs.
type AccessInspector interface {
	Explain(route string, a netip.Addr) (gateway.Explanation, bool)
	RecentClients(route string) (gateway.RecentClients, bool)
}

// shadowRequest is the body of PUT …/shadowAccessProfile.
type shadowRequest struct {
	Properties struct {
		AuthorizedIPRanges []string `json:"authorizedIPRanges"`
	} `json:"properties"`
}

func shadowJSON(c *call, ranges []string) map[string]any {
	return map[string]any{
		"id":         arm.ManagedClusterID(c.v("sub"), c.v("rg"), c.v("name")) + "/shadowAccessProfile",
		"name":       "shadowAccessProfile",
		"type":       clusterType + "/shadowAccessProfile",
		"properties": map[string]any{"authorizedIPRanges": ranges},
	}
}

func (s *server) getShadow(c *call) error {
	mc, _, err := s.liveCluster(c)
	if err != nil {
		return err
	}
	if len(mc.ShadowRanges) == 0 {
		return arm.ResourceNotFound(clusterType+"/shadowAccessProfile", c.v("name")+"/shadowAccessProfile", c.v("rg"))
	}
	arm.WriteJSON(c.w, http.StatusOK, shadowJSON(c, mc.ShadowRanges))
	return nil
}

// putShadow stores a shadow list, validated with the rules of the
// cluster's own list: it is evaluated on every connection and enforces
// nothing.
func (s *server) putShadow(c *call) error {
	var req shadowRequest
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	var ranges []string
	err := retry(func() error {
		mc, rev, err := s.liveCluster(c)
		if err != nil {
			return err
		}
		if ranges, err = s.validShadow(c, &mc, req.Properties.AuthorizedIPRanges); err != nil {
			return err
		}
		mc.ShadowRanges = ranges
		_, err = s.putRecord(c.r.Context(), mc.Key(), rev, &mc)
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("audit", "event", "shadow-set", "cluster", c.v("name"), "ranges", ranges, "by", c.principal.Name)
	arm.WriteJSON(c.w, http.StatusOK, shadowJSON(c, ranges))
	return nil
}

// validShadow validates a shadow list like the cluster's list; an empty
// or disabling list is refused (DELETE clears the shadow list).
func (s *server) validShadow(c *call, mc *state.ManagedCluster, list []string) ([]string, error) {
	opts, err := s.listOptions(c, mc.Access.EnableVnetIntegration, mc.Access.EnablePrivateCluster)
	if err != nil {
		return nil, err
	}
	spec, err := rangespec.ParseList(list, opts)
	if err != nil {
		return nil, err
	}
	if spec.Disabled || len(spec.Entries) == 0 {
		return nil, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"properties.authorizedIPRanges of the shadow list must list at least one entry; DELETE the shadowAccessProfile to clear it.")
	}
	return spec.Strings(), nil
}

func (s *server) deleteShadow(c *call) error {
	err := retry(func() error {
		mc, rev, err := s.liveCluster(c)
		if err != nil || len(mc.ShadowRanges) == 0 {
			return err
		}
		mc.ShadowRanges = nil
		_, err = s.putRecord(c.r.Context(), mc.Key(), rev, &mc)
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("audit", "event", "shadow-cleared", "cluster", c.v("name"), "by", c.principal.Name)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// promoteShadow makes the shadow list the enforced list, through the
// cut-off guard (always on here; dry run and allow-cut-off as for a PUT),
// and clears it. It is an update of the cluster (a new generation and an
// operation).
func (s *server) promoteShadow(c *call) error {
	g := guardOptions(c.r, true)
	var (
		mc     state.ManagedCluster
		op     *state.Operation
		newRev int64
	)
	err := retry(func() error {
		old, rev, err := s.liveCluster(c)
		if err != nil {
			return err
		}
		if len(old.ShadowRanges) == 0 {
			return arm.Errorf(http.StatusConflict, "NoShadowList", "The managed cluster '%s' has no shadow list to promote.", old.Name)
		}
		if err := s.guard(c, g, &old, old.ShadowRanges); err != nil {
			return err
		}
		mc = old
		mc.Access.AuthorizedIPRanges, mc.ShadowRanges = old.ShadowRanges, nil
		mc.Generation++
		mc.ProvisioningState, mc.UpdatedAt = state.Updating, s.now()
		op = s.newOperation(c, &mc, state.OpUpdate)
		newRev, err = s.writeWithOperation(c, &mc, rev, op)
		return err
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Info("audit", "event", "shadow-promoted", "cluster", c.v("name"), "ranges", mc.Access.AuthorizedIPRanges, "by", c.principal.Name)
	s.setOperationHeaders(c, op, false)
	arm.WriteJSON(c.w, http.StatusOK, clusterJSON(&mc, etagOf(newRev)))
	return nil
}

// checkAccess answers POST …/checkAccess {"ipAddress"}: the decision the
// front door in force takes for the address on this cluster, the deciding
// entry, and the shadow list's verdict.
func (s *server) checkAccess(c *call) error {
	var req struct {
		IPAddress string `json:"ipAddress"`
	}
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	a, err := parseAddrParam(req.IPAddress)
	if err != nil {
		return err
	}
	mc, _, err := s.liveCluster(c)
	if err != nil {
		return err
	}
	if s.cfg.Access == nil {
		return arm.Errorf(http.StatusNotImplemented, "NotSupported", "This server runs no front door to check access against.")
	}
	x, ok := s.cfg.Access.Explain(arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name), a)
	if !ok {
		return arm.Errorf(http.StatusConflict, "NotApplied", "The managed cluster '%s' has no route in the front door yet; retry when it is Succeeded.", mc.Name)
	}
	arm.WriteJSON(c.w, http.StatusOK, ExplanationJSON(x))
	return nil
}

// ExplanationJSON is checkAccess's answer for x (the CLI's `aks
// check-access -o json` and `tagwall gateway check -o json` print the same
// fields).
func ExplanationJSON(x gateway.Explanation) map[string]any {
	out := map[string]any{"ipAddress": x.Addr.String(), "allowed": x.Allowed, "kind": x.Kind}
	if x.Entry != "" {
		out["entry"] = x.Entry
	}
	if x.Prefix.IsValid() {
		out["prefix"] = x.Prefix.String()
	}
	if x.Tag != "" {
		out["tag"], out["changeNumber"] = x.Tag, x.ChangeNumber
	}
	if !x.Expires.IsZero() {
		out["expiresAt"], out["grantReason"] = x.Expires.UTC().Format(time.RFC3339), x.GrantReason
	}
	if sh := x.Shadow; sh != nil {
		v := map[string]any{"allowed": sh.Allowed, "kind": sh.Kind}
		if sh.Entry != "" {
			v["entry"] = sh.Entry
		}
		if sh.Prefix.IsValid() {
			v["prefix"] = sh.Prefix.String()
		}
		out["shadow"] = v
	}
	return out
}

// recentClients answers GET …/recentClients: the clients the front door
// admitted for the cluster in the last 24 hours (bounded record).
func (s *server) recentClients(c *call) error {
	mc, _, err := s.liveCluster(c)
	if err != nil {
		return err
	}
	out := map[string]any{"value": []any{}, "rest": 0}
	if s.cfg.Access != nil {
		if r, ok := s.cfg.Access.RecentClients(arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name)); ok {
			v := make([]any, 0, len(r.Clients))
			for _, cl := range r.Clients {
				v = append(v, CutOffClient{IPAddress: cl.Addr.String(), Count: cl.Count, LastSeen: cl.LastSeen.UTC()})
			}
			out["value"], out["rest"] = v, r.Rest
		}
	}
	arm.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// The front door is the AccessInspector `tagwall serve` wires in.
var _ AccessInspector = (*gateway.Gateway)(nil)
