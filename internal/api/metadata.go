package api

import (
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
)

// metadataEndpoints answers GET /metadata/endpoints (no authentication):
// the cloud description az cloud register reads, built from the request's
// host. api-version 2015-01-01 (or none) gets the single object; later
// versions get an array of one.
func (s *server) metadataEndpoints(c *call) error {
	base := arm.BaseURL(c.r) + "/"
	host := c.r.Host
	if i := strings.LastIndex(host, ":"); i > 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	m := map[string]any{
		"name":                     "tagwall",
		"resourceManager":          base,
		"graphEndpoint":            base + "graph/",
		"galleryEndpoint":          base + "gallery/",
		"portalEndpoint":           base + "portal/",
		"microsoftGraphResourceId": base + "graph/",
		// The newer document's names (az's _arm_to_cli_mapper reads them
		// from ARM_CLOUD_METADATA_URL). Graph and portal URLs answer
		// NotSupported (unsupported.go) instead of being absent, which az
		// reports as a corrupt clouds.config.
		"graph":         base + "graph/",
		"graphAudience": base + "graph/",
		"portal":        base + "portal/",
		"gallery":       base + "gallery/",
		"authentication": map[string]any{
			// authn.LoginEndpoint (authn's tests hold the two equal): az
			// appends the tenant, which the token service checks.
			"loginEndpoint":    base + "adfs/tenants",
			"audiences":        []string{base},
			"tenant":           "adfs",
			"identityProvider": "ADFS",
		},
		"suffixes": map[string]any{
			"storage":        host,
			"keyVaultDns":    "vault." + host,
			"acrLoginServer": "acr." + host,
		},
	}
	v := c.r.URL.Query().Get("api-version")
	if v == "" || v == "2015-01-01" {
		arm.WriteJSON(c.w, http.StatusOK, m)
		return nil
	}
	arm.WriteJSON(c.w, http.StatusOK, []any{m})
	return nil
}

type subscriptionBody struct {
	ID                   string            `json:"id"`
	SubscriptionID       string            `json:"subscriptionId"`
	TenantID             string            `json:"tenantId"`
	DisplayName          string            `json:"displayName"`
	State                string            `json:"state"`
	ManagedByTenants     []any             `json:"managedByTenants"`
	AuthorizationSource  string            `json:"authorizationSource"`
	SubscriptionPolicies map[string]string `json:"subscriptionPolicies"`
}

func subscriptionJSON(sub Subscription) subscriptionBody {
	return subscriptionBody{
		ID: "/subscriptions/" + sub.ID, SubscriptionID: sub.ID, TenantID: sub.TenantID, DisplayName: sub.DisplayName,
		State: "Enabled", ManagedByTenants: []any{}, AuthorizationSource: "RoleBased",
		SubscriptionPolicies: map[string]string{"locationPlacementId": "Public_2014-09-01", "quotaId": "Internal_2014-09-01", "spendingLimit": "Off"},
	}
}

// subscriptions returns the configured subscriptions (from
// SubscriptionSource when set).
func (s *server) subscriptions(c *call) ([]Subscription, error) {
	if s.cfg.SubscriptionSource == nil {
		return s.cfg.Subscriptions, nil
	}
	return s.cfg.SubscriptionSource(c.r.Context())
}

func (s *server) listSubscriptions(c *call) error {
	subs, err := s.subscriptions(c)
	if err != nil {
		return err
	}
	out := []subscriptionBody{}
	for _, sub := range subs {
		if c.principal.Allows(sub.ID) {
			out = append(out, subscriptionJSON(sub))
		}
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func (s *server) getSubscription(c *call) error {
	subs, err := s.subscriptions(c)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if strings.EqualFold(sub.ID, c.v("sub")) {
			arm.WriteJSON(c.w, http.StatusOK, subscriptionJSON(sub))
			return nil
		}
	}
	arm.WriteJSON(c.w, http.StatusOK, subscriptionJSON(Subscription{ID: c.v("sub"), DisplayName: "tagwall"}))
	return nil
}

// listTenants answers GET /tenants: the tenants of the subscriptions the
// caller may use, in the shape az login reads when no --tenant is given.
func (s *server) listTenants(c *call) error {
	subs, err := s.subscriptions(c)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	seen := map[string]bool{}
	for _, sub := range subs {
		t := strings.ToLower(sub.TenantID)
		if t == "" || seen[t] || !c.principal.Allows(sub.ID) {
			continue
		}
		seen[t] = true
		out = append(out, map[string]any{
			"id": "/tenants/" + sub.TenantID, "tenantId": sub.TenantID, "tenantCategory": "Home",
			"displayName": "tagwall", "defaultDomain": "tagwall.local", "domains": []string{"tagwall.local"},
			"tenantType": "AAD", "countryCode": "US",
		})
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}
