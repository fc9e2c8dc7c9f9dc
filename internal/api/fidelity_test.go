package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
)

// TestAzureTexts pins, row by row, the answers of issue 13's table that
// Azure gives with a known code and text; each row names its source.
func TestAzureTexts(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createGroup(t)
	const sub = "/subscriptions/" + testSub
	const cs = sub + "/providers/Microsoft.ContainerService"
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		// Microsoft.Features, as az quotes it: "The feature 'StartStopPreview'
		// could not be found." (MicrosoftDocs/azure-docs #71962).
		{name: "unknown feature", method: http.MethodPost, path: sub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/NoSuchPreview/register?api-version=2021-07-01",
			status: 404, code: "FeatureNotFound", message: "The feature 'NoSuchPreview' could not be found."},
		// ARM: az group delete -n missing prints "(ResourceGroupNotFound)
		// Resource group 'missing' could not be found." (az-wire.md §8 for
		// the text).
		{name: "delete a missing group", method: http.MethodDelete, path: sub + "/resourcegroups/missing?api-version=2021-04-01",
			status: 404, code: "ResourceGroupNotFound", message: "Resource group 'missing' could not be found."},
		// AKS: Code="K8sVersionNotSupported" "Version 1.15.7 is not supported
		// in this region. …" (elastic/cloud-on-k8s #2760, shahiddev/docker-k8s-workshop #1).
		{name: "create with an unsupported version", method: http.MethodPut, path: clusterPath + mcVersion,
			body:   strings.Replace(clusterBody(nil, nil), `"kubernetesVersion":""`, `"kubernetesVersion":"1.2.3"`, 1),
			status: 400, code: "K8sVersionNotSupported",
			message: "Version 1.2.3 is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list"},
		// AKS (Terraform, tfsec #571): Code="InvalidParameter" Message="Private
		// cluster cannot be enabled with AuthorizedIPRanges."
		{name: "ranges on a private cluster", method: http.MethodPut, path: clusterPath + mcVersion,
			body: clusterBody([]string{"20.20.20.20"}, map[string]any{"enablePrivateCluster": true}), status: 400,
			code: "InvalidParameter", message: "Private cluster cannot be enabled with AuthorizedIPRanges."},
		// AKS (Azure/ResourceModules #820): PreviewFeatureNotRegistered
		// "Preview feature Microsoft.ContainerService/CustomNodeConfigPreview not registered."
		{name: "tag before the flag", method: http.MethodPut, path: clusterPath + mcVersion,
			body: clusterBody([]string{"AzureCloud"}, nil), status: 400, code: "PreviewFeatureNotRegistered",
			message: "Preview feature Microsoft.ContainerService/EnableServiceTagAuthorizedIPPreview not registered."},
		// tagwall's own: operations Azure has and tagwall does not.
		{name: "aks command invoke", method: http.MethodPost, path: clusterPath + "/runCommand" + mcVersion, body: `{"command":"kubectl get pods"}`,
			status: 400, code: "NotSupported",
			message: "tagwall does not implement Microsoft.ContainerService/managedClusters/runCommand/action (az aks command invoke); supported: managedClusters"},
		{name: "maintenance configurations", method: http.MethodGet, path: clusterPath + "/maintenanceConfigurations" + mcVersion,
			status: 400, code: "NotSupported", message: "tagwall does not implement Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read"},
		{name: "snapshots", method: http.MethodGet, path: cs + "/snapshots" + mcVersion,
			status: 400, code: "NotSupported", message: "tagwall does not implement Microsoft.ContainerService/snapshots/read (az aks nodepool snapshot)"},
		{name: "graph", method: http.MethodGet, path: "/graph/v1.0/servicePrincipals",
			status: 400, code: "NotSupported", message: "tagwall does not implement Microsoft Graph"},
		{name: "portal", method: http.MethodGet, path: "/portal/",
			status: 400, code: "NotSupported", message: "tagwall does not implement the Azure portal (az aks browse)"},
		{name: "other paths keep the generic answer", method: http.MethodGet, path: sub + "/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01",
			status: 404, code: "NotFound", message: "No HTTP resource was found that matches the request URI"},
		{name: "versions in an unknown location", method: http.MethodGet, path: cs + "/locations/atlantis/orchestrators?api-version=2019-04-01&resource-type=managedClusters",
			status: 400, code: "NoRegisteredProviderFound", message: "No registered resource provider found for location 'atlantis' and API version '2019-04-01' for type 'locations/orchestrators'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body)
			code, msg := armError(t, r)
			if r.StatusCode != tt.status || code != tt.code || !strings.HasPrefix(msg, tt.message) {
				t.Fatalf("got %d %s %q, want %d %s %q…", r.StatusCode, code, msg, tt.status, tt.code, tt.message)
			}
		})
	}
}

// TestBlankRangeDisables: az sends --api-server-authorized-ip-ranges "   "
// as [""]; the API takes it as disabled, like tagwall check does (the
// standalone gateway's parser still refuses an empty entry).
func TestBlankRangeDisables(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createGroup(t)
	r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{""}, nil))
	if r.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("PUT [\"\"]: %d %s", r.StatusCode, b)
	}
	var mc struct {
		Properties struct {
			Access map[string]any `json:"apiServerAccessProfile"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&mc); err != nil || mc.Properties.Access["authorizedIPRanges"] != nil {
		t.Fatalf("access profile %v (%v), want no list", mc.Properties.Access, err)
	}
}

// TestVnetIntegrationFlag: a tag with enableVnetIntegration is refused by
// default (the seed's 2024 preview) and allowed with
// Config.ServiceTagsWithVnetIntegration (the newer AKS), whose limit is
// 2,000 entries.
func TestVnetIntegrationFlag(t *testing.T) {
	vnet := map[string]any{"enableVnetIntegration": true, "subnetId": "/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}
	for _, tt := range []struct {
		name   string
		allow  bool
		ranges []string
		status int
		want   string
	}{
		{name: "default refuses", ranges: []string{"AzureCloud"}, status: 400, want: "not supported with API server VNet integration"},
		{name: "flag allows", allow: true, ranges: []string{"AzureCloud", "20.20.20.20"}, status: 201},
		{name: "flag keeps the 2,000 limit", allow: true, ranges: append(many(2000), "AzureCloud"), status: 400,
			want: "The number of APIServer Authorized IP Ranges is greater than the allowed value 2000."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{featureDelay: -1, configure: func(c *api.Config) { c.ServiceTagsWithVnetIntegration = tt.allow }})
			e.createGroup(t)
			e.enableTags(t)
			access := map[string]any{}
			for k, v := range vnet {
				access[k] = v
			}
			r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(tt.ranges, access))
			if r.StatusCode != tt.status {
				b, _ := io.ReadAll(r.Body)
				t.Fatalf("status %d %s, want %d", r.StatusCode, b, tt.status)
			}
			if tt.want != "" {
				if _, msg := armError(t, r); !strings.Contains(msg, tt.want) {
					t.Fatalf("message %q, want %q", msg, tt.want)
				}
			}
		})
	}
}

// TestResourcesList: GET /subscriptions/{sub}/resources (az resource list)
// lists the groups' clusters; $filter on resourceType and name.
func TestResourcesList(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createGroup(t)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(nil, nil)); r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	for _, tt := range []struct {
		name, query string
		want        int
	}{
		{name: "all", query: "", want: 1},
		{name: "by type", query: "&$filter=resourceType eq 'Microsoft.ContainerService/managedClusters'", want: 1},
		{name: "by other type", query: "&$filter=resourceType eq 'Microsoft.Compute/virtualMachines'", want: 0},
		{name: "by name", query: "&$filter=name eq 'c1'", want: 1},
		{name: "as az resource list -g sends it", query: "&$filter=resourceGroup eq 'RG1'&$expand=createdTime,changedTime,provisioningState", want: 1},
		{name: "other group", query: "&$filter=resourceGroup eq 'rg2' and location eq 'eastus'", want: 0},
		{name: "tag", query: "&$filter=tagName eq 'team'", want: 0},
		{name: "group", query: "", want: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/subscriptions/" + testSub + "/resources?api-version=2022-09-01" + strings.ReplaceAll(tt.query, " ", "%20")
			if tt.name == "group" {
				path = groupPath + "/resources?api-version=2022-09-01"
			}
			r := e.do(t, http.MethodGet, path, "")
			var out struct {
				Value []struct {
					ID, Name, Type, Location string
				} `json:"value"`
			}
			if err := json.NewDecoder(r.Body).Decode(&out); err != nil || r.StatusCode != 200 || len(out.Value) != tt.want {
				t.Fatalf("%d %v %+v, want %d", r.StatusCode, err, out, tt.want)
			}
			if tt.want == 1 && (out.Value[0].Name != "c1" || out.Value[0].Type != "Microsoft.ContainerService/managedClusters" || out.Value[0].Location != "eastus") {
				t.Fatalf("resource %+v", out.Value[0])
			}
		})
	}
}

// TestPowerTwice: a second stop (and a start of a running cluster) is
// refused with AKS's text, "managed cluster is in Provisioning
// State(Succeeded) and Power State(Stopped), stopping cannot be performed"
// (MicrosoftDocs/azure-docs #85161).
func TestPowerTwice(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createGroup(t)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(nil, nil)); r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	waitState := func(want string) {
		t.Helper()
		for range 200 {
			m := readJSON(t, e.do(t, http.MethodGet, clusterPath+mcVersion, ""))
			if p, _ := m["properties"].(map[string]any); p["provisioningState"] == want {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("cluster never %s", want)
	}
	waitState("Succeeded")
	r := e.do(t, http.MethodPost, clusterPath+"/start"+mcVersion, "")
	if code, msg := armError(t, r); r.StatusCode != 409 || code != "OperationNotAllowed" ||
		msg != "managed cluster is in Provisioning State(Succeeded) and Power State(Running), starting cannot be performed" {
		t.Fatalf("start of a running cluster: %d %s %q", r.StatusCode, code, msg)
	}
	if r := e.do(t, http.MethodPost, clusterPath+"/stop"+mcVersion, ""); r.StatusCode != 202 || r.Header.Get("Azure-AsyncOperation") == "" || r.Header.Get("Location") == "" {
		t.Fatalf("stop: %d %v", r.StatusCode, r.Header)
	}
	waitState("Succeeded")
	r = e.do(t, http.MethodPost, clusterPath+"/stop"+mcVersion, "")
	if code, msg := armError(t, r); r.StatusCode != 409 || code != "OperationNotAllowed" ||
		msg != "managed cluster is in Provisioning State(Succeeded) and Power State(Stopped), stopping cannot be performed" {
		t.Fatalf("second stop: %d %s %q", r.StatusCode, code, msg)
	}
}

// TestMetadataURLsAnswer: every Graph and portal URL /metadata/endpoints
// names answers NotSupported (no token needed), not a 404 or a 401.
func TestMetadataURLsAnswer(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := readJSON(t, e.doToken(t, "", http.MethodGet, "/metadata/endpoints?api-version=2015-01-01", ""))
	for _, k := range []string{"graphEndpoint", "microsoftGraphResourceId", "graph", "graphAudience", "portalEndpoint", "portal"} {
		u, _ := m[k].(string)
		if !strings.HasPrefix(u, e.srv.URL+"/") {
			t.Fatalf("%s = %q", k, u)
		}
		r := e.doToken(t, "", http.MethodGet, strings.TrimPrefix(u, e.srv.URL)+"v1.0/me", "")
		if code, msg := armError(t, r); r.StatusCode != 400 || code != "NotSupported" || !strings.HasPrefix(msg, "tagwall does not implement ") {
			t.Errorf("%s %s: %d %s %q", k, u, r.StatusCode, code, msg)
		}
	}
}
