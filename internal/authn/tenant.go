package authn

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/tagwall/tagwall/internal/arm"
)

// tenantEndpoints are the paths, after a tenant segment, of the token
// service: ADFS's and Microsoft Entra ID's (v1 and v2.0).
var tenantEndpoints = map[string]bool{
	".well-known/openid-configuration": true, "v2.0/.well-known/openid-configuration": true,
	"oauth2/token": true, "oauth2/v2.0/token": true, "discovery/keys": true, "discovery/v2.0/keys": true,
	"oauth2/authorize": true, "oauth2/v2.0/authorize": true, "oauth2/devicecode": true, "oauth2/v2.0/devicecode": true,
}

// isTenantPath reports whether segs is {tenant}/<token service endpoint>,
// the form an Entra ID authority (https://host/{tenant}) gives: the Azure
// SDKs' client-secret credentials and az's tenant validator ask there.
func isTenantPath(segs []string) bool {
	return len(segs) >= 2 && tenantEndpoints[strings.ToLower(strings.Join(segs[1:], "/"))]
}

// ownTenant reports whether t names this service's tenant: its id, or
// "adfs" (the ADFS authority's own tenant name).
func (s *Service) ownTenant(t string) bool {
	return strings.EqualFold(t, "adfs") || strings.EqualFold(t, s.cfg.Tenant)
}

// invalidTenant refuses a request for another tenant as Microsoft Entra ID
// does, 400 with AADSTS90002 (Azure/azure-cli #22145, the body az printed):
//
//	{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant '…' not found. Check to make sure
//	you have the correct tenant ID and are signing into the correct cloud. Check with your subscription
//	administrator, this may happen if there are no active subscriptions for the tenant.\r\nTrace ID: …
//	\r\nCorrelation ID: …\r\nTimestamp: 2022-04-21 16:26:49Z","error_codes":[90002],"timestamp":"…",
//	"trace_id":"…","correlation_id":"…","error_uri":"https://login.microsoftonline.com/error?code=90002"}
func (s *Service) invalidTenant(w http.ResponseWriter, tenant string) {
	now := s.now().Format("2006-01-02 15:04:05Z")
	trace, corr := uuid.NewString(), uuid.NewString()
	w.Header().Set("Cache-Control", "no-store")
	arm.WriteJSON(w, http.StatusBadRequest, map[string]any{
		"error": "invalid_tenant",
		"error_description": "AADSTS90002: Tenant '" + arm.Printable(tenant) + "' not found. Check to make sure you have the correct tenant ID " +
			"and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no " +
			"active subscriptions for the tenant.\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + now,
		"error_codes":    []int{90002},
		"timestamp":      now,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      "https://login.microsoftonline.com/error?code=90002",
	})
}

// serveTenant answers {tenant}/<endpoint> outside /adfs: this service's
// tenant is served as /adfs is, any other is refused (invalidTenant).
func (s *Service) serveTenant(w http.ResponseWriter, r *http.Request, segs []string) {
	if !s.ownTenant(segs[0]) {
		s.invalidTenant(w, segs[0])
		return
	}
	s.serveADFS(w, r, v1Path(segs[1:]))
}

// v1Path maps Entra ID's v2.0 endpoint paths (after the tenant) to the
// ADFS-style ones this service answers; others are returned as they are.
func v1Path(rest []string) []string {
	switch strings.ToLower(strings.Join(rest, "/")) {
	case "v2.0/.well-known/openid-configuration":
		return []string{".well-known", "openid-configuration"}
	case "oauth2/v2.0/token":
		return []string{"oauth2", "token"}
	case "discovery/v2.0/keys":
		return []string{"discovery", "keys"}
	}
	return rest
}
