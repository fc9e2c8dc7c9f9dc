package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/testutil"
)

// TestLoginEndpointNamesTheTenant: the login endpoint /metadata/endpoints
// gives az is authn.LoginEndpoint, and az's authority under it
// ({loginEndpoint}/{tenant}, azure-cli core/auth/identity.py
// _get_authority_url) serves the server's tenant and refuses another one
// with Entra ID's AADSTS90002, the answer msal turns into Azure's "Unable
// to get authority configuration for …" (Azure/azure-cli #22145).
func TestLoginEndpointNamesTheTenant(t *testing.T) {
	dir := t.TempDir()
	m := start(t, testConfig(t, dir))
	hc := testutil.HTTPSClient(t, dir+"/"+identity.CACertFile)
	base := strings.TrimRight(m.APIURL(), "/")
	code, doc := call(t, hc, http.MethodGet, m.APIURL()+"metadata/endpoints?api-version=2015-01-01", "", nil)
	auth, _ := doc["authentication"].(map[string]any)
	login, _ := auth["loginEndpoint"].(string)
	if code != 200 || login != authn.LoginEndpoint(base) {
		t.Fatalf("metadata: %d loginEndpoint %q, want %q", code, login, authn.LoginEndpoint(base))
	}
	if strings.HasSuffix(strings.ToLower(login), "adfs") {
		t.Fatalf("loginEndpoint %q ends in adfs: az would drop the tenant", login)
	}
	for _, tenant := range []string{m.Tenant(), "adfs"} {
		code, cfg := call(t, hc, http.MethodGet, login+"/"+tenant+"/.well-known/openid-configuration", "", nil)
		if code != 200 || cfg["token_endpoint"] != base+"/adfs/oauth2/token" {
			t.Errorf("own tenant %s: %d %v", tenant, code, cfg)
		}
	}
	const other = "0b0623dd-90fa-4c5c-bee8-8dc18bd4d948"
	code, e := call(t, hc, http.MethodGet, login+"/"+other+"/.well-known/openid-configuration", "", nil)
	desc, _ := e["error_description"].(string)
	if code != 400 || e["error"] != "invalid_tenant" || !strings.HasPrefix(desc, "AADSTS90002: Tenant '"+other+"' not found.") {
		t.Errorf("other tenant: %d %v", code, e)
	}
}
