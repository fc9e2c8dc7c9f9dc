package api

import (
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/state"
)

// Grant durations (tagwall extension, sub-resource accessGrants).
const (
	DefaultGrantDuration = time.Hour
	MaxGrantDuration     = 7 * 24 * time.Hour
	grantType            = clusterType + "/accessGrants"
)

// grantName: ARM-ish child resource names.
var grantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// grantRequest is the body of PUT …/accessGrants/{grant}: the range, and
// either a duration (Go syntax, "30m"; default 1h, at most 7d) or an
// absolute expiresAt.
type grantRequest struct {
	Properties struct {
		Range     string     `json:"range"`
		IPAddress string     `json:"ipAddress"` // alias of range
		Duration  string     `json:"duration"`
		ExpiresAt *time.Time `json:"expiresAt"`
		Reason    string     `json:"reason"`
	} `json:"properties"`
}

func (s *server) registerAccess() {
	v := arm.ManagedClustersVersions
	const one = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
	s.add(http.MethodGet, one+"/accessGrants", v, s.listGrants)
	s.add(http.MethodPut, one+"/accessGrants/{grant}", v, s.putGrant)
	s.add(http.MethodGet, one+"/accessGrants/{grant}", v, s.getGrant)
	s.add(http.MethodDelete, one+"/accessGrants/{grant}", v, s.deleteGrant)
	s.add(http.MethodPost, one+"/checkAccess", v, s.checkAccess)
	s.add(http.MethodGet, one+"/shadowAccessProfile", v, s.getShadow)
	s.add(http.MethodPut, one+"/shadowAccessProfile", v, s.putShadow)
	s.add(http.MethodDelete, one+"/shadowAccessProfile", v, s.deleteShadow)
	s.add(http.MethodPost, one+"/promoteShadow", v, s.promoteShadow)
	s.add(http.MethodGet, one+"/recentClients", v, s.recentClients)
}

// liveCluster loads the cluster of the call with its revision: 404 when
// it or its group is missing, 409 while it is being deleted.
func (s *server) liveCluster(c *call) (state.ManagedCluster, int64, error) {
	mc, rev, err := s.existingCluster(c)
	if err != nil {
		return mc, 0, err
	}
	if mc.ProvisioningState == state.Deleting {
		return mc, 0, arm.Errorf(http.StatusConflict, "OperationNotAllowed",
			"Operation is not allowed: the managed cluster '%s' is being deleted.", c.v("name"))
	}
	return mc, rev, nil
}

// parseGrant validates a grant body into a record: the range with the
// list's own entry rules (global addresses and CIDRs; no tag, no
// 0.0.0.0/32), and the expiry.
func (s *server) parseGrant(c *call, req *grantRequest) (state.AccessGrant, error) {
	p := req.Properties
	raw := strings.TrimSpace(p.Range)
	if raw == "" {
		raw = strings.TrimSpace(p.IPAddress)
	}
	if raw == "" {
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter", "properties.range is required: an IP address or CIDR.")
	}
	if c := raw[0] | 0x20; c >= 'a' && c <= 'z' && !strings.Contains(raw, ":") { // tag-shaped (IPv6 has ':')
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"properties.range '%s' must be one global IP address or CIDR (a grant cannot name a service tag or 0.0.0.0/32).", arm.Printable(raw))
	}
	spec, err := rangespec.ParseList([]string{raw}, rangespec.Options{Mode: rangespec.ModeServer, Field: "properties.range"})
	if err != nil {
		return state.AccessGrant{}, err
	}
	if len(spec.Entries) != 1 || spec.EgressOnly || spec.Entries[0].IsTag() {
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"properties.range '%s' must be one global IP address or CIDR (a grant cannot name a service tag or 0.0.0.0/32).", arm.Printable(raw))
	}
	now := s.now()
	expires := now.Add(DefaultGrantDuration)
	switch {
	case p.ExpiresAt != nil && p.Duration != "":
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter", "Give properties.duration or properties.expiresAt, not both.")
	case p.ExpiresAt != nil:
		expires = p.ExpiresAt.UTC()
	case p.Duration != "":
		d, err := time.ParseDuration(p.Duration)
		if err != nil || d <= 0 {
			return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
				"properties.duration '%s' must be a positive duration such as 30m or 2h.", arm.Printable(p.Duration))
		}
		expires = now.Add(d)
	}
	if !expires.After(now) || expires.Sub(now) > MaxGrantDuration {
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"The grant must expire in the future and at most %s from now (7 days).", MaxGrantDuration)
	}
	if len(p.Reason) > 256 {
		return state.AccessGrant{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter", "properties.reason is longer than 256 bytes.")
	}
	return state.AccessGrant{Name: c.v("grant"), Range: spec.Entries[0].Prefix.String(), ExpiresAt: expires,
		Reason: p.Reason, CreatedBy: c.principal.Name, CreatedAt: now}, nil
}

// putGrant creates or replaces a grant. Expired grants are dropped from
// the record on the way; at most state.MaxGrantsPerCluster remain.
func (s *server) putGrant(c *call) error {
	if !grantName.MatchString(c.v("grant")) {
		return arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"The grant name '%s' must be 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit.", arm.Printable(c.v("grant")))
	}
	var req grantRequest
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	g, err := s.parseGrant(c, &req)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	err = retry(func() error {
		mc, rev, err := s.liveCluster(c)
		if err != nil {
			return err
		}
		now := s.now()
		kept := mc.Grants[:0:0]
		for _, old := range mc.Grants {
			switch {
			case strings.EqualFold(old.Name, g.Name): // ARM names are case-insensitive, as get and delete compare them
				status = http.StatusOK
			case !old.Expired(now):
				kept = append(kept, old)
			}
		}
		if len(kept) >= state.MaxGrantsPerCluster {
			return arm.Errorf(http.StatusConflict, "QuotaExceeded",
				"The managed cluster '%s' has %d access grants, the most allowed; revoke one first.", mc.Name, len(kept))
		}
		mc.Grants = append(kept, g)
		_, err = s.putRecord(c.r.Context(), mc.Key(), rev, &mc)
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("audit", "event", "grant-created", "cluster", c.v("name"), "grant", g.Name, "range", g.Range,
		"expiresAt", g.ExpiresAt, "reason", g.Reason, "by", g.CreatedBy)
	arm.WriteJSON(c.w, status, s.grantJSON(c, g))
	return nil
}

func (s *server) getGrant(c *call) error {
	mc, _, err := s.liveCluster(c)
	if err != nil {
		return err
	}
	for _, g := range mc.Grants {
		if strings.EqualFold(g.Name, c.v("grant")) {
			arm.WriteJSON(c.w, http.StatusOK, s.grantJSON(c, g))
			return nil
		}
	}
	return arm.ResourceNotFound(grantType, c.v("name")+"/"+c.v("grant"), c.v("rg"))
}

func (s *server) listGrants(c *call) error {
	mc, _, err := s.liveCluster(c)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(mc.Grants))
	for _, g := range mc.Grants {
		out = append(out, s.grantJSON(c, g))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// deleteGrant revokes a grant at once: the controller drops it from the
// route and the gateway closes the connections only it admitted.
func (s *server) deleteGrant(c *call) error {
	var gone *state.AccessGrant
	err := retry(func() error {
		mc, rev, err := s.liveCluster(c)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(mc.Grants, func(g state.AccessGrant) bool { return strings.EqualFold(g.Name, c.v("grant")) })
		if i < 0 {
			return nil
		}
		g := mc.Grants[i]
		gone = &g
		mc.Grants = slices.Delete(slices.Clone(mc.Grants), i, i+1)
		_, err = s.putRecord(c.r.Context(), mc.Key(), rev, &mc)
		return err
	})
	if err != nil {
		return err
	}
	if gone == nil {
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	s.log.Info("audit", "event", "grant-revoked", "cluster", c.v("name"), "grant", gone.Name, "range", gone.Range, "by", c.principal.Name)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// grantJSON renders a grant as an ARM child resource.
func (s *server) grantJSON(c *call, g state.AccessGrant) map[string]any {
	st := "Active"
	if g.Expired(s.now()) {
		st = "Expired"
	}
	return map[string]any{
		"id":   arm.ManagedClusterID(c.v("sub"), c.v("rg"), c.v("name")) + "/accessGrants/" + g.Name,
		"name": g.Name, "type": grantType,
		"properties": map[string]any{"range": g.Range, "expiresAt": g.ExpiresAt.UTC().Format(time.RFC3339), "reason": g.Reason,
			"createdBy": g.CreatedBy, "createdAt": g.CreatedAt.UTC().Format(time.RFC3339), "state": st},
	}
}

// parseAddrParam parses an ipAddress body field.
func parseAddrParam(raw string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(raw))
	if err != nil {
		return netip.Addr{}, arm.Errorf(http.StatusBadRequest, "InvalidParameter", "ipAddress '%s' is not an IP address.", arm.Printable(raw))
	}
	return a.Unmap().WithZone(""), nil
}
