package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/api"
)

// TestInvalidNames sends every invalid class of issue 11 (NUL, newline,
// quotes, emoji, "..", 4,000 characters, a bad dnsPrefix, a location with
// U+202E, an HTML kubernetesVersion) and expects a 400 naming the field,
// with nothing stored.
func TestInvalidNames(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	long := strings.Repeat("a", 4000)
	groups := []struct{ name, rg string }{
		{"nul", "rg\x00x"}, {"newline", "rg\nx"}, {"double quote", `rg"x`}, {"single quote", "rg'x"},
		{"emoji", "rg😀"}, {"dot dot", ".."}, {"dot", "."}, {"ends in dot", "rg."}, {"4000 chars", long},
		{"91 chars", strings.Repeat("r", 91)}, {"bidi override", "rg\u202ex"}, {"space", "rg x"},
		{"invalid utf-8", "rg\xff"}, {"angle brackets", "<rg>"},
	}
	for _, tt := range groups {
		t.Run("group/"+tt.name, func(t *testing.T) {
			p := "/subscriptions/" + testSub + "/resourceGroups/" + url.PathEscape(tt.rg)
			status, code, msg, target := armTarget(t, e.do(t, http.MethodPut, p+"?api-version=2021-04-01", `{"location":"eastus"}`))
			if status != 400 || code != "InvalidResourceGroupName" || target != "resourceGroupName" || !strings.Contains(msg, "cannot end in a period") {
				t.Fatalf("got %d %s %s %q", status, code, target, msg)
			}
			if r := e.do(t, http.MethodHead, p+"?api-version=2021-04-01", ""); r.StatusCode != 404 {
				t.Fatalf("refused group stored: HEAD %d", r.StatusCode)
			}
		})
	}
	clusters := []struct{ name, cluster string }{
		{"nul", "c\x00x"}, {"newline", "c\nx"}, {"quote", `c"x`}, {"emoji", "c😀"}, {"dot dot", ".."},
		{"4000 chars", long}, {"64 chars", strings.Repeat("c", 64)}, {"leading hyphen", "-c"},
		{"trailing underscore", "c_"}, {"dot", "c.x"}, {"unicode letter", "cü"},
	}
	for _, tt := range clusters {
		t.Run("cluster/"+tt.name, func(t *testing.T) {
			p := groupPath + "/providers/Microsoft.ContainerService/managedClusters/" + url.PathEscape(tt.cluster) + mcVersion
			status, code, msg, target := armTarget(t, e.do(t, http.MethodPut, p, clusterBody([]string{"20.20.20.20"}, nil)))
			if status != 400 || code != "InvalidResourceName" || target != "resourceName" || !strings.Contains(msg, "1 to 63 characters") {
				t.Fatalf("got %d %s %s %q", status, code, target, msg)
			}
			if r := e.do(t, http.MethodGet, p, ""); r.StatusCode != 404 {
				t.Fatalf("refused cluster stored: GET %d", r.StatusCode)
			}
		})
	}
	fields := []struct {
		name, code, target, want string
		set                      func(body map[string]any)
	}{
		{name: "dnsPrefix path", code: "InvalidParameter", target: "properties.dnsPrefix", want: "1 to 54 characters",
			set: func(b map[string]any) { props(b)["dnsPrefix"] = "a b..c/../" }},
		{name: "dnsPrefix 55 chars", code: "InvalidParameter", target: "properties.dnsPrefix", want: "1 to 54 characters",
			set: func(b map[string]any) { props(b)["dnsPrefix"] = strings.Repeat("d", 55) }},
		{name: "dnsPrefix underscore", code: "InvalidParameter", target: "properties.dnsPrefix", want: "1 to 54 characters",
			set: func(b map[string]any) { props(b)["dnsPrefix"] = "d_x" }},
		{name: "location bidi", code: "LocationNotAvailableForResourceType", target: "location", want: `east\u202eus`,
			set: func(b map[string]any) { b["location"] = "east\u202eus" }},
		{name: "location unknown", code: "LocationNotAvailableForResourceType", target: "location", want: "List of available regions",
			set: func(b map[string]any) { b["location"] = "atlantis" }},
		{name: "location spaces only", code: "LocationNotAvailableForResourceType", target: "location", want: "List of available regions",
			set: func(b map[string]any) { b["location"] = "   " }},
		{name: "kubernetesVersion html", code: "K8sVersionNotSupported", target: "properties.kubernetesVersion", want: `\"><script>`,
			set: func(b map[string]any) { props(b)["kubernetesVersion"] = `"><script>` }},
		{name: "kubernetesVersion old", code: "K8sVersionNotSupported", target: "properties.kubernetesVersion", want: "az aks get-versions",
			set: func(b map[string]any) { props(b)["kubernetesVersion"] = "1.20.7" }},
		{name: "orchestratorVersion", code: "AgentPoolK8sVersionNotSupported", target: "properties.agentPoolProfiles[0].orchestratorVersion", want: "not supported",
			set: func(b map[string]any) {
				props(b)["agentPoolProfiles"].([]any)[0].(map[string]any)["orchestratorVersion"] = "9.9.9"
			}},
		{name: "nodeResourceGroup", code: "InvalidParameter", target: "properties.nodeResourceGroup", want: "cannot end in a period",
			set: func(b map[string]any) { props(b)["nodeResourceGroup"] = "mc\nrg" }},
	}
	for _, tt := range fields {
		t.Run("field/"+tt.name, func(t *testing.T) {
			var body map[string]any
			if err := json.Unmarshal([]byte(clusterBody([]string{"20.20.20.20"}, nil)), &body); err != nil {
				t.Fatal(err)
			}
			tt.set(body)
			b, _ := json.Marshal(body)
			status, code, msg, target := armTarget(t, e.do(t, http.MethodPut, clusterPath+mcVersion, string(b)))
			if status != 400 || code != tt.code || target != tt.target || !strings.Contains(msg, tt.want) {
				t.Fatalf("got %d %s %s %q, want 400 %s %s containing %q", status, code, target, msg, tt.code, tt.target, tt.want)
			}
			if r := e.do(t, http.MethodGet, clusterPath+mcVersion, ""); r.StatusCode != 404 {
				t.Fatalf("refused cluster stored: GET %d", r.StatusCode)
			}
		})
	}
}

func props(b map[string]any) map[string]any { return b["properties"].(map[string]any) }

// TestValidNames checks the edges that must still be accepted.
func TestValidNames(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1, configure: func(c *api.Config) { c.ExtraLocations = []string{"Mars Central"} }})
	for _, rg := range []string{"rg(1)_-.x", "Ünïcode-rg", strings.Repeat("r", 90), "_", "("} {
		p := "/subscriptions/" + testSub + "/resourceGroups/" + url.PathEscape(rg) + "?api-version=2021-04-01"
		if r := e.do(t, http.MethodPut, p, `{"location":"East US"}`); r.StatusCode != 201 {
			_, code, msg, _ := armTarget(t, r)
			t.Fatalf("group %q: %d %s %q", rg, r.StatusCode, code, msg)
		}
	}
	e.createGroup(t)
	tests := []struct{ name, cluster, location, version, dns string }{
		{name: "one char", cluster: "c", location: "eastus", version: "1.31.5", dns: "d"},
		{name: "63 chars", cluster: "c" + strings.Repeat("_", 61) + "c", location: "West Europe", version: "1.32", dns: strings.Repeat("d", 54)},
		{name: "extra location", cluster: "c-mars", location: "marscentral", version: "1.34.1", dns: "a-1"},
		{name: "defaults", cluster: "c_default_dns", location: "eastus", version: "", dns: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"location": tt.location, "properties": map[string]any{
				"kubernetesVersion": tt.version, "dnsPrefix": tt.dns}})
			p := groupPath + "/providers/Microsoft.ContainerService/managedClusters/" + tt.cluster + mcVersion
			resp := e.do(t, http.MethodPut, p, string(b))
			if resp.StatusCode != 201 {
				_, code, msg, _ := armTarget(t, resp)
				t.Fatalf("%d %s %q", resp.StatusCode, code, msg)
			}
			m := readJSON(t, resp)
			if tt.version == "1.32" && props(m)["currentKubernetesVersion"] != "1.32.7" {
				t.Fatalf("alias 1.32 runs %v, want the newest patch 1.32.7", props(m)["currentKubernetesVersion"])
			}
			dns := props(m)["dnsPrefix"].(string)
			if tt.dns == "" && dns != "cdefaultdn-rg1-000000" {
				t.Fatalf("default dnsPrefix %q", dns)
			}
		})
	}
}

// TestInvalidFieldsAllReported: every invalid field is named, the first as
// the error and the rest in its details.
func TestInvalidFieldsAllReported(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	body := `{"location":"atlantis","properties":{"dnsPrefix":"a b","kubernetesVersion":"x",` +
		`"agentPoolProfiles":[{"name":"np","orchestratorVersion":7}]}}`
	m := readJSON(t, e.do(t, http.MethodPut, groupPath+"/providers/Microsoft.ContainerService/managedClusters/bad_"+mcVersion, body))
	top, _ := m["error"].(map[string]any)
	if top == nil {
		t.Fatalf("no error: %v", m)
	}
	targets := []string{top["target"].(string)}
	details, _ := top["details"].([]any)
	for _, d := range details {
		targets = append(targets, d.(map[string]any)["target"].(string))
	}
	want := "resourceName location properties.kubernetesVersion properties.dnsPrefix properties.agentPoolProfiles[0].orchestratorVersion"
	if got := strings.Join(targets, " "); got != want {
		t.Fatalf("targets %q, want %q", got, want)
	}
}
