package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// armTarget returns the status, code, message and target of an ARM error.
func armTarget(tb testing.TB, resp *http.Response) (status int, code, msg, target string) {
	tb.Helper()
	m := readJSON(tb, resp)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		tb.Fatalf("status %d: no ARM error envelope in %v", resp.StatusCode, m)
	}
	code, _ = e["code"].(string)
	msg, _ = e["message"].(string)
	target, _ = e["target"].(string)
	return resp.StatusCode, code, msg, target
}

// rangesOf returns the stored cluster's authorizedIPRanges as printed.
func (e *env) rangesOf(t *testing.T) string {
	t.Helper()
	resp := e.do(t, http.MethodGet, clusterPath+mcVersion, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET cluster: %d", resp.StatusCode)
	}
	m := readJSON(t, resp)
	access := m["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)
	return fmt.Sprint(access["authorizedIPRanges"])
}

// TestBadBodiesKeepRanges is issue 11's fail-open case: malformed or
// property-less PUTs on a cluster with a list are 400 and the list stays.
func TestBadBodiesKeepRanges(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil)); r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	const want = "[20.20.20.20/32]"
	tests := []struct {
		name, body, code string
	}{
		{name: "null", body: "null", code: "InvalidRequestContent"},
		{name: "array", body: "[]", code: "InvalidRequestContent"},
		{name: "string", body: `"x"`, code: "InvalidRequestContent"},
		{name: "number", body: "1", code: "InvalidRequestContent"},
		{name: "empty object", body: "{}", code: "InvalidRequestContent"},
		{name: "no properties", body: `{"location":"eastus"}`, code: "InvalidRequestContent"},
		{name: "null properties", body: `{"location":"eastus","properties":null}`, code: "InvalidRequestContent"},
		{name: "string properties", body: `{"location":"eastus","properties":"x"}`, code: "InvalidRequestContent"},
		{name: "properties twice, last null", body: `{"location":"eastus","properties":{"dnsPrefix":"c1"},"Properties":null}`, code: "InvalidRequestContent"},
		{name: "access profile twice by case", code: "InvalidRequestContent",
			body: `{"location":"eastus","properties":{"apiServerAccessProfile":{"authorizedIPRanges":["20.20.20.20"]},"apiserveraccessprofile":{"authorizedIPRanges":[]}}}`},
		{name: "ranges not a list", body: `{"location":"eastus","properties":{"apiServerAccessProfile":{"authorizedIPRanges":"x"}}}`, code: "InvalidRequestContent"},
		{name: "two blank entries", body: `{"location":"eastus","properties":{"apiServerAccessProfile":{"authorizedIPRanges":["",""]}}}`, code: "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg, _ := armTarget(t, e.do(t, http.MethodPut, clusterPath+mcVersion, tt.body))
			if status != http.StatusBadRequest || code != tt.code {
				t.Fatalf("got %d %s %q, want 400 %s", status, code, msg, tt.code)
			}
			if got := e.rangesOf(t); got != want {
				t.Fatalf("ranges after a refused PUT: %s, want %s", got, want)
			}
		})
	}
}

// TestPatchTagsNullBody: a null PATCH body is refused, not read as "no
// tags".
func TestPatchTagsNullBody(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, `{"location":"eastus","tags":{"k":"v"},"properties":{"dnsPrefix":"c1"}}`); r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	if status, code, _, _ := armTarget(t, e.do(t, http.MethodPatch, clusterPath+mcVersion, "null")); status != 400 || code != "InvalidRequestContent" {
		t.Fatalf("PATCH null: %d %s", status, code)
	}
	if tags := readJSON(t, e.do(t, http.MethodGet, clusterPath+mcVersion, ""))["tags"]; fmt.Sprint(tags) != "map[k:v]" {
		t.Fatalf("tags after a refused PATCH: %v", tags)
	}
}

// TestUpdateAccessSemantics pins what an update without an explicit list
// means: keep the list. Only [] or one blank entry disables.
func TestUpdateAccessSemantics(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	e.createGroup(t)
	const pools = `"agentPoolProfiles":[{"name":"nodepool1","count":1,"vmSize":"Standard_DS2_v2","mode":"System"}]`
	tests := []struct {
		name, props, want string
	}{
		{name: "profile absent keeps", props: `"dnsPrefix":"c1",` + pools, want: "[20.20.20.20/32]"},
		{name: "profile null keeps", props: `"apiServerAccessProfile":null,` + pools, want: "[20.20.20.20/32]"},
		{name: "ranges absent keeps", props: `"apiServerAccessProfile":{"enablePrivateCluster":false},` + pools, want: "[20.20.20.20/32]"},
		{name: "ranges null keeps", props: `"apiServerAccessProfile":{"authorizedIPRanges":null},` + pools, want: "[20.20.20.20/32]"},
		{name: "new list replaces", props: `"apiServerAccessProfile":{"authorizedIPRanges":["30.30.30.0/24"]},` + pools, want: "[30.30.30.0/24]"},
		{name: "empty list disables", props: `"apiServerAccessProfile":{"authorizedIPRanges":[]},` + pools, want: "<nil>"},
		{name: "blank entry disables", props: `"apiServerAccessProfile":{"authorizedIPRanges":[""]},` + pools, want: "<nil>"},
		{name: "white space entry disables", props: `"apiServerAccessProfile":{"authorizedIPRanges":["  "]},` + pools, want: "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil)); r.StatusCode != 201 && r.StatusCode != 200 {
				t.Fatalf("reset: %d", r.StatusCode)
			}
			resp := e.do(t, http.MethodPut, clusterPath+mcVersion, `{"location":"eastus","properties":{`+tt.props+`}}`)
			if resp.StatusCode != http.StatusOK {
				_, code, msg, _ := armTarget(t, resp)
				t.Fatalf("update: %d %s %q", resp.StatusCode, code, msg)
			}
			if got := e.rangesOf(t); got != tt.want {
				t.Fatalf("ranges %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("kept list still meets the rules", func(t *testing.T) {
		if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil)); r.StatusCode != 200 {
			t.Fatalf("reset: %d", r.StatusCode)
		}
		resp := e.do(t, http.MethodPut, clusterPath+mcVersion, `{"location":"eastus","properties":{"apiServerAccessProfile":{"enablePrivateCluster":true}}}`)
		if status, code, msg, _ := armTarget(t, resp); status != 400 || code != "InvalidParameter" || !strings.Contains(strings.ToLower(msg), "private cluster") {
			t.Fatalf("private cluster with a kept list: %d %s %q", status, code, msg)
		}
	})
	t.Run("create without a list has none", func(t *testing.T) {
		p := groupPath + "/providers/Microsoft.ContainerService/managedClusters/c2" + mcVersion
		if r := e.do(t, http.MethodPut, p, `{"location":"eastus","properties":{`+pools+`}}`); r.StatusCode != 201 {
			t.Fatalf("create: %d", r.StatusCode)
		}
	})
}
