package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAgentPoolBounds: a tenant cannot grow one cluster's record without
// bound through agent pool PUTs: at most maxAgentPools (100) pools, and no
// change may make the record larger than one request may be (4 MiB).
func TestAgentPoolBounds(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	e.createRaw(t, "pools", baseBody())
	poolURL := func(name string) string { return rtClusters + "pools/agentPools/" + name + exampleVersion }
	put := func(name, body string) *http.Response {
		t.Helper()
		resp := e.do(t, http.MethodPut, poolURL(name), body)
		e.waitSucceeded(t, rtClusters+"pools"+exampleVersion)
		return resp
	}
	// A pool carrying 3 MiB of an unknown property is kept (echoed as
	// sent); a second one would take the record past 4 MiB.
	big := `{"properties":{"count":1,"vmSize":"Standard_DS2_v2","mode":"User","x":"` + strings.Repeat("a", 3<<20) + `"}}`
	if resp := put("big1", big); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first large pool: %d %s", resp.StatusCode, body(t, resp))
	}
	resp := put("big2", big)
	if code, msg := armError(t, resp); resp.StatusCode != http.StatusConflict || code != "QuotaExceeded" || !strings.Contains(msg, "one cluster may hold") {
		t.Fatalf("second large pool: %d %s %s, want 409 QuotaExceeded", resp.StatusCode, code, msg)
	}
	if resp := e.do(t, http.MethodDelete, poolURL("big1"), ""); resp.StatusCode >= 300 {
		t.Fatalf("delete big1: %d", resp.StatusCode)
	}
	e.waitSucceeded(t, rtClusters+"pools"+exampleVersion)

	// The pool count: the cluster has its system pool; 99 more fit.
	small := `{"properties":{"count":1,"vmSize":"Standard_DS2_v2","mode":"User"}}`
	for i := range 99 {
		if resp := put(fmt.Sprintf("p%d", i), small); resp.StatusCode != http.StatusCreated {
			t.Fatalf("pool %d: %d %s", i, resp.StatusCode, body(t, resp))
		}
	}
	resp = put("p99", small)
	if code, _ := armError(t, resp); resp.StatusCode != http.StatusConflict || code != "QuotaExceeded" {
		t.Fatalf("the 101st pool: %d %s, want 409 QuotaExceeded", resp.StatusCode, code)
	}
	if resp := put("p5", `{"properties":{"count":3,"vmSize":"Standard_DS2_v2","mode":"User"}}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("updating a pool at the limit: %d, want 200", resp.StatusCode)
	}
}
