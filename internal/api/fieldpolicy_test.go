package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFieldPolicyTable: every row is well formed, named once, and in the
// generated docs.
func TestFieldPolicyTable(t *testing.T) {
	seen := map[string]bool{}
	doc := FieldPolicyMarkdown()
	for _, r := range clusterFields {
		lp := strings.ToLower(r.Path)
		if seen[lp] {
			t.Errorf("%s: listed twice", r.Path)
		}
		seen[lp] = true
		if r.Path == "" || strings.Contains(r.Path, "..") || strings.HasSuffix(r.Path, ".") {
			t.Errorf("%q: malformed path", r.Path)
		}
		if r.Policy != Echo && r.Doc == "" {
			t.Errorf("%s: a %s row needs its value or reason", r.Path, r.Policy)
		}
		if !strings.Contains(doc, "`"+r.Path+"`") {
			t.Errorf("%s: not in the generated docs", r.Path)
		}
	}
}

// TestSanitizeAndScrub: input loses what the server owns and every
// secret; output loses every secret, whatever the casing or depth; tags
// are user data and keep any name.
func TestSanitizeAndScrub(t *testing.T) {
	in := `{"id":"x","identity":{"type":"UserAssigned","principalId":"p","userAssignedIdentities":{"/id/1":{"clientId":"c","principalId":"p"}}},
	"tags":{"secret":"kept","dbPassword":"kept"},
	"properties":{"provisioningState":"Succeeded","fqdn":"f","privateFQDN":"p","windowsProfile":{"adminUsername":"u","ADMINPASSWORD":"x"},
	"servicePrincipalProfile":{"clientId":"c","Secret":"x"},"aadProfile":{"serverAppSecret":"x","clientAppID":"a"},
	"addonProfiles":{"a":{"enabled":true,"config":{"somePassword":"x","enableSecretRotation":"true"},"identity":{"clientId":"c"}}},
	"agentPoolProfiles":[{"name":"p","eTag":"e","nodeImageVersion":"n","nodeLabels":{"mysecret":"kept"}}],
	"networkProfile":{"loadBalancerProfile":{"effectiveOutboundIPs":[{"id":"x"}],"managedOutboundIPs":{"count":2}},
	"natGatewayProfile":{"effectiveOutboundIPs":[]}}}}`
	var body map[string]any
	if err := json.Unmarshal([]byte(in), &body); err != nil {
		t.Fatal(err)
	}
	sanitizeCluster(body)
	out, _ := json.Marshal(body)
	got := string(out)
	for _, gone := range []string{`"id"`, `principalId`, `provisioningState`, `"fqdn"`, `privateFQDN`, `ADMINPASSWORD`, `"Secret"`,
		`serverAppSecret`, `somePassword`, `"eTag"`, `nodeImageVersion`, `effectiveOutboundIPs`, `"identity":{"clientId"`} {
		if strings.Contains(got, gone) {
			t.Errorf("sanitized body still has %s: %s", gone, got)
		}
	}
	for _, kept := range []string{`"adminUsername":"u"`, `"clientId":"c"`, `"clientAppID":"a"`, `"enableSecretRotation":"true"`,
		`"secret":"kept"`, `"dbPassword":"kept"`, `"mysecret":"kept"`, `"managedOutboundIPs":{"count":2}`, `"/id/1"`} {
		if !strings.Contains(got, kept) {
			t.Errorf("sanitized body lost %s: %s", kept, got)
		}
	}
}

// FuzzScrubCluster: whatever a body holds, after scrubCluster no
// property outside tags and node labels is named *password or *secret.
func FuzzScrubCluster(f *testing.F) {
	f.Add(`{"properties":{"windowsProfile":{"adminPassword":"x"}}}`)         // the classic leak
	f.Add(`{"a":[{"b":{"ClientSECRET":1}}],"tags":{"secret":"t"}}`)          // nested in a list; tags keep
	f.Add(`{"properties":{"agentPoolProfiles":[{"eTag":"e","maxPods":3}]}}`) // read-only pool field
	f.Fuzz(func(t *testing.T, s string) {
		var body map[string]any
		if json.Unmarshal([]byte(s), &body) != nil || body == nil {
			return
		}
		scrubCluster(body)
		var check func(v any)
		check = func(v any) {
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					check(e)
				}
			case map[string]any:
				for k, c := range x {
					if isSecretKey(k) {
						t.Fatalf("secret %q survived in %s", k, s)
					}
					if !userKeyed[strings.ToLower(k)] {
						check(c)
					}
				}
			}
		}
		check(body)
	})
}

// TestReadOnlyPoolFields: the per-pool list handlers use is the table's.
func TestReadOnlyPoolFields(t *testing.T) {
	got := strings.Join(readOnlyPoolFields, ",")
	for _, f := range []string{"provisioningState", "powerState", "currentOrchestratorVersion", "nodeImageVersion", "eTag"} {
		if !strings.Contains(","+got+",", ","+f+",") {
			t.Errorf("readOnlyPoolFields = %s, missing %s", got, f)
		}
	}
}
