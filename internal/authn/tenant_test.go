package authn

import (
	"net/http"
	"strings"
	"testing"
)

// TestOtherTenantRefused: a token or discovery request naming a tenant
// other than the server's is refused as Microsoft Entra ID refuses it: 400
// invalid_tenant, AADSTS90002, error_codes [90002] (the body az printed in
// Azure/azure-cli #22145). The server's own tenant is served.
func TestOtherTenantRefused(t *testing.T) {
	f := newFixture(t)
	const other = "0b0623dd-90fa-4c5c-bee8-8dc18bd4d948"
	// Entra ID's text, up to the trace lines (Azure/azure-cli #22145).
	want := "' not found. Check to make sure you have the correct tenant ID and are signing " +
		"into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.\r\nTrace ID: "
	form := msalForm(f.adminID, f.adminSecret, f.base+"//.default")
	tests := []struct {
		name, method, path string
		tenant             string // the tenant refused; other when ""
	}{
		{name: "v2.0 discovery", method: http.MethodGet, path: "/" + other + "/v2.0/.well-known/openid-configuration"},
		{name: "v2.0 token", method: http.MethodPost, path: "/" + other + "/oauth2/v2.0/token"},
		{name: "v1 token", method: http.MethodPost, path: "/" + other + "/oauth2/token"},
		{name: "az tenant validator", method: http.MethodGet, path: "/adfs/" + other + "/.well-known/openid-configuration"},
		// az login --tenant <GUID> under LoginEndpoint: msal's tenant discovery.
		{name: "az login authority", method: http.MethodGet, path: "/adfs/tenants/" + other + "/.well-known/openid-configuration"},
		{name: "az login authority, domain", method: http.MethodGet, path: "/adfs/tenants/contoso.example/.well-known/openid-configuration", tenant: "contoso.example"},
		{name: "login endpoint as an Entra ID authority host, v2.0 token", method: http.MethodPost, path: "/adfs/tenants/" + other + "/oauth2/v2.0/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var m map[string]any
			if tt.method == http.MethodPost {
				code, m = f.tokenRequest(t, tt.path, form)
			} else {
				code, m = f.do(t, tt.method, tt.path, "", nil, "")
			}
			desc, _ := m["error_description"].(string)
			codes, _ := m["error_codes"].([]any)
			tenant := tt.tenant
			if tenant == "" {
				tenant = other
			}
			if code != 400 || m["error"] != "invalid_tenant" || !strings.HasPrefix(desc, "AADSTS90002: Tenant '"+tenant+want) || len(codes) != 1 || codes[0] != float64(90002) ||
				m["error_uri"] != "https://login.microsoftonline.com/error?code=90002" {
				t.Fatalf("%s %s: %d %v", tt.method, tt.path, code, m)
			}
		})
	}
	code, m := f.tokenRequest(t, "/"+testTenant+"/oauth2/v2.0/token", form)
	if code != 200 || m["access_token"] == nil {
		t.Fatalf("own tenant token: %d %v", code, m)
	}
	if code, m := f.tokenRequest(t, "/adfs/tenants/"+testTenant+"/oauth2/v2.0/token", form); code != 200 || m["access_token"] == nil {
		t.Fatalf("own tenant token under the login endpoint (v2.0): %d %v", code, m)
	}
	for _, p := range []string{"/" + strings.ToUpper(testTenant) + "/v2.0/.well-known/openid-configuration",
		"/adfs/tenants/" + testTenant + "/.well-known/openid-configuration", "/adfs/tenants/adfs/.well-known/openid-configuration",
		"/adfs/tenants/" + testTenant + "/v2.0/.well-known/openid-configuration"} {
		code, m = f.do(t, http.MethodGet, p, "", nil, "")
		if code != 200 || m["token_endpoint"] != f.base+"/adfs/oauth2/token" {
			t.Fatalf("own tenant discovery %s: %d %v", p, code, m)
		}
	}
}

// TestGraphScopeNotSupported: az ad asks for the Graph audience that
// /metadata/endpoints names; the refusal says tagwall has no Graph.
func TestGraphScopeNotSupported(t *testing.T) {
	f := newFixture(t)
	code, m := f.tokenRequest(t, "/adfs/oauth2/token", msalForm(f.adminID, f.adminSecret, f.base+"/graph//.default"))
	desc, _ := m["error_description"].(string)
	if code != 400 || m["error"] != "invalid_scope" || !strings.Contains(desc, "tagwall does not implement Microsoft Graph") {
		t.Fatalf("graph scope: %d %v", code, m)
	}
}
