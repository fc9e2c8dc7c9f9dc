package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/rangespec"
)

const (
	groupPath   = "/subscriptions/" + testSub + "/resourceGroups/rg1"
	clusterPath = groupPath + "/providers/Microsoft.ContainerService/managedClusters/c1"
	mcVersion   = "?api-version=2024-09-01"
)

// enableTags registers the feature (FeatureDelay must be negative: at once)
// and then the provider.
func (e *env) enableTags(t *testing.T) {
	t.Helper()
	if r := e.do(t, http.MethodPost, featurePath+"/register?api-version=2021-07-01", ""); r.StatusCode != 200 {
		t.Fatalf("register feature: %d", r.StatusCode)
	}
	time.Sleep(2 * time.Millisecond)
	if r := e.do(t, http.MethodPost, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/register?api-version=2021-04-01", ""); r.StatusCode != 200 {
		t.Fatalf("register provider: %d", r.StatusCode)
	}
}

func (e *env) createGroup(t *testing.T) {
	t.Helper()
	if r := e.do(t, http.MethodPut, groupPath+"?api-version=2021-04-01", `{"location":"eastus"}`); r.StatusCode != 201 && r.StatusCode != 200 {
		t.Fatalf("create group: %d", r.StatusCode)
	}
}

func clusterBody(ranges []string, access map[string]any) string {
	if access == nil {
		access = map[string]any{}
	}
	if ranges != nil {
		access["authorizedIPRanges"] = ranges
	}
	b, _ := json.Marshal(map[string]any{"location": "eastus", "properties": map[string]any{
		"dnsPrefix": "c1", "kubernetesVersion": "", "apiServerAccessProfile": access,
		"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "count": 1, "vmSize": "Standard_DS2_v2", "mode": "System"}},
	}})
	return string(b)
}

func many(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("20.%d.%d.0/24", i/256, i%256)
	}
	return out
}

// TestServerRules checks every ModeServer rule end to end: a synchronous
// 400 with the ARM code and message, and nothing stored.
func TestServerRules(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	e.enableTags(t)
	noCat := newEnv(t, envOpts{featureDelay: -1, noCatalog: true})
	noCat.createGroup(t)
	noCat.enableTags(t)
	tests := []struct {
		name   string
		env    *env
		ranges []string
		access map[string]any
		want   string
	}{
		{name: "two tags", ranges: []string{"AzureCloud", "Storage"}, want: `authorizedIPRanges[1] "Storage": only one service tag is allowed`},
		{name: "unknown tag", ranges: []string{"AzureClod"}, want: `authorizedIPRanges[0] "AzureClod": unknown service tag`},
		{name: "tag with vnet integration", ranges: []string{"AzureCloud"}, access: map[string]any{"enableVnetIntegration": true},
			want: "service tags are not supported with API server VNet integration"},
		{name: "ranges on a private cluster", ranges: []string{"20.20.20.20"}, access: map[string]any{"enablePrivateCluster": true},
			want: "Private cluster cannot be enabled with AuthorizedIPRanges."}, // the RP's text (tfsec #571)
		{name: "201 ranges", ranges: many(201), want: "The number of APIServer Authorized IP Ranges is greater than the allowed value 200."},
		{name: "2001 ranges with vnet", ranges: many(2001), access: map[string]any{"enableVnetIntegration": true},
			want: "The number of APIServer Authorized IP Ranges is greater than the allowed value 2000."},
		{name: "egress with others", ranges: []string{"0.0.0.0/32", "20.20.20.20"}, want: rangespec.MsgServerEgressMixed},
		{name: "non-global", ranges: []string{"10.0.0.0/8"}, want: "must be global non-reserved addresses or CIDRs"},
		{name: "host bits", ranges: []string{"137.117.106.90/29"}, want: `host bits are set: the range starts at its network address, "137.117.106.88/29"`},
		{name: "no catalog", env: noCat, ranges: []string{"AzureCloud"}, want: "no service-tag data is loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en := e
			if tt.env != nil {
				en = tt.env
			}
			resp := en.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(tt.ranges, tt.access))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			code, msg := armError(t, resp)
			if code != "InvalidParameter" || !strings.Contains(msg, tt.want) {
				t.Fatalf("got %s %q, want InvalidParameter containing %q", code, msg, tt.want)
			}
			if r := en.do(t, http.MethodGet, clusterPath+mcVersion, ""); r.StatusCode != 404 {
				t.Fatalf("a refused PUT stored the cluster: GET %d", r.StatusCode)
			}
		})
	}
}

// TestAccepted checks the normalisations of accepted lists.
func TestAccepted(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	e.enableTags(t)
	tests := []struct {
		name   string
		ranges []string
		want   []any
	}{
		{name: "bare ip becomes /32", ranges: []string{"azurecloud", "20.20.20.20"}, want: []any{"AzureCloud", "20.20.20.20/32"}},
		{name: "empty list disables", ranges: []string{}, want: nil},
		{name: "absent disables", ranges: nil, want: nil},
		{name: "egress only", ranges: []string{"0.0.0.0/32"}, want: []any{"0.0.0.0/32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(tt.ranges, nil))
			if resp.StatusCode != 201 && resp.StatusCode != 200 {
				code, msg := armError(t, resp)
				t.Fatalf("status %d %s %s", resp.StatusCode, code, msg)
			}
			if resp.Header.Get("Retry-After") != "1" || !strings.Contains(resp.Header.Get("Azure-AsyncOperation"), "/providers/Microsoft.ContainerService/locations/eastus/operations/") {
				t.Fatalf("async headers: %v", resp.Header)
			}
			m := readJSON(t, resp)
			access := m["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)
			got, _ := access["authorizedIPRanges"].([]any)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("ranges %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAuth checks that requests without the right token get 401 ARM errors
// and write nothing.
func TestAuth(t *testing.T) {
	e := newEnv(t, envOpts{})
	before, _ := e.store.Revision(t.Context())
	tests := []struct {
		name, auth, code string
	}{
		{name: "no token", auth: "", code: "AuthenticationFailed"},
		{name: "wrong token", auth: "Bearer nope", code: "InvalidAuthenticationToken"},
		{name: "not bearer", auth: "Basic " + testToken, code: "InvalidAuthenticationToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{http.MethodPut, groupPath + "?api-version=2021-04-01", `{"location":"eastus"}`},
				{http.MethodPost, featurePath + "/register?api-version=2021-07-01", ""},
				{http.MethodGet, "/subscriptions/" + testSub + "/providers/Microsoft.ContainerService/managedClusters" + mcVersion, ""},
			} {
				resp := e.doToken(t, tt.auth, req.method, req.path, req.body)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("%s %s: status %d", req.method, req.path, resp.StatusCode)
				}
				if code, _ := armError(t, resp); code != tt.code {
					t.Fatalf("code %s, want %s", code, tt.code)
				}
			}
		})
	}
	if after, _ := e.store.Revision(t.Context()); after != before {
		t.Fatalf("store revision moved from %d to %d", before, after)
	}
	if r := e.doToken(t, "", http.MethodGet, "/metadata/endpoints?api-version=2015-01-01", ""); r.StatusCode != 200 {
		t.Fatalf("metadata: %d", r.StatusCode)
	}
}

func TestAPIVersion(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name, path, code, msg string
	}{
		{name: "missing", path: featurePath, code: "MissingApiVersionParameter",
			msg: "The api-version query parameter (?api-version=) is required for all requests."},
		{name: "invalid", path: featurePath + "?api-version=1999-01-01", code: "InvalidApiVersionParameter",
			msg: "The api-version '1999-01-01' is invalid. The supported versions are '2015-12-01,2021-07-01,2025-03-01'."},
		{name: "cluster invalid", path: clusterPath + "?api-version=2000-01-01", code: "InvalidApiVersionParameter",
			msg: "The api-version '2000-01-01' is invalid. The supported versions are '"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, http.MethodGet, tt.path, "")
			code, msg := armError(t, resp)
			if resp.StatusCode != 400 || code != tt.code || !strings.HasPrefix(msg, tt.msg) {
				t.Fatalf("got %d %s %q", resp.StatusCode, code, msg)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil))
	if code, msg := armError(t, resp); resp.StatusCode != 404 || code != "ResourceGroupNotFound" || msg != "Resource group 'rg1' could not be found." {
		t.Fatalf("got %d %s %q", resp.StatusCode, code, msg)
	}
	e.createGroup(t)
	resp = e.do(t, http.MethodGet, clusterPath+mcVersion, "")
	if code, _ := armError(t, resp); resp.StatusCode != 404 || code != "ResourceNotFound" {
		t.Fatalf("got %d %s", resp.StatusCode, code)
	}
	if r := e.do(t, http.MethodDelete, clusterPath+mcVersion, ""); r.StatusCode != 204 {
		t.Fatalf("delete of a missing cluster: %d", r.StatusCode)
	}
}

func TestETags(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createGroup(t)
	body := clusterBody([]string{"20.20.20.20"}, nil)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, body, "If-Match", "*"); r.StatusCode != 412 {
		t.Fatalf("If-Match * on a missing cluster: %d", r.StatusCode)
	}
	r := e.do(t, http.MethodPut, clusterPath+mcVersion, body, "If-None-Match", "*")
	if r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	etag := r.Header.Get("ETag")
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, body, "If-None-Match", "*"); r.StatusCode != 412 {
		t.Fatalf("If-None-Match * on an existing cluster: %d", r.StatusCode)
	}
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, body, "If-Match", `"nope"`); r.StatusCode != 412 {
		t.Fatalf("stale If-Match: %d", r.StatusCode)
	}
	cur := e.do(t, http.MethodGet, clusterPath+mcVersion, "").Header.Get("ETag")
	if cur == "" || etag == "" {
		t.Fatal("no ETag")
	}
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, body, "If-Match", cur); r.StatusCode != 200 && r.StatusCode != 412 {
		t.Fatalf("current If-Match: %d", r.StatusCode)
	}
}
