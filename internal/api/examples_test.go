package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file and scenarios_test.go replay the scenarios of
// the AKS 2025-07-01 REST examples (ManagedClustersCreate_*.json, Get,
// List, UpdateTags, ListCluster*Credential) with request bodies of our
// own that exercise the same fields, and check every answer's structure:
// each path the example's response has must be present (values may
// differ), types must decode into the Azure SDK's models (generated from
// the same swagger), and no secret may appear anywhere.

const (
	exampleVersion = "?api-version=2025-07-01"
	// Sentinel secrets: any response that contains one leaks.
	sentinelPassword = "Sentinel-Passw0rd-7f3e!"
	sentinelSecret   = "sentinel-sp-secret-9a1c"
)

// paths flattens a JSON value into its paths: "a.b", "a.list[*].c"; a
// user-assigned identity's key (a resource id) is written "*".
func paths(v any) map[string]bool {
	out := map[string]bool{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		if p != "" {
			out[p] = true
		}
		join := func(k string) string {
			if p == "" {
				return k
			}
			return p + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if strings.HasSuffix(p, "userAssignedIdentities") {
					k = "*"
				}
				walk(c, join(k))
			}
		case []any:
			for _, c := range x {
				walk(c, p+"[*]")
			}
		}
	}
	walk(v, "")
	return out
}

// secretPaths lists the paths whose last name is a secret (*Password,
// *Secret) and reports whether a sentinel secret value appears.
func secretPaths(raw []byte) []string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var bad []string
	for p := range paths(v) {
		last := strings.ToLower(p[strings.LastIndexAny(p, ".]")+1:])
		if strings.HasSuffix(last, "password") || strings.HasSuffix(last, "secret") {
			bad = append(bad, p)
		}
	}
	for _, s := range []string{sentinelPassword, sentinelSecret} {
		if strings.Contains(string(raw), s) {
			bad = append(bad, "value "+s)
		}
	}
	sort.Strings(bad)
	return bad
}

// checkShape fails the test when raw (one resource, or a list under
// prefix "value[*].") lacks a wanted path, has a path that must be
// absent, or carries a secret.
func checkShape(t *testing.T, what string, raw []byte, prefix string, want, absent []string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, raw)
	}
	got := paths(v)
	var missing, extra []string
	for _, p := range want {
		if !got[prefix+p] {
			missing = append(missing, p)
		}
	}
	for _, p := range absent {
		if got[prefix+p] {
			extra = append(extra, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: missing %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s: must not have %v", what, extra)
	}
	if bad := secretPaths(raw); len(bad) > 0 {
		t.Errorf("%s: secret in the response: %v", what, bad)
	}
}

// body reads a response body.
func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// set writes v at a dotted path of m ("a.b[0].c"), creating objects.
func set(m map[string]any, path string, v any) {
	segs := strings.Split(path, ".")
	cur := m
	for i, s := range segs {
		name, idx := s, -1
		if j := strings.Index(s, "["); j >= 0 {
			name = s[:j]
			idx, _ = strconv.Atoi(strings.Trim(s[j:], "[]"))
		}
		if i == len(segs)-1 && idx < 0 {
			cur[name] = v
			return
		}
		if idx >= 0 {
			list, _ := cur[name].([]any)
			elem, _ := list[idx].(map[string]any)
			if i == len(segs)-1 {
				list[idx] = v
				return
			}
			cur = elem
			continue
		}
		next, ok := cur[name].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[name] = next
		}
		cur = next
	}
}

// del removes a top-level or properties-level key ("properties.dnsPrefix").
func del(m map[string]any, path string) {
	parent, key := m, path
	if p, k, ok := strings.Cut(path, "."); ok {
		parent, _ = m[p].(map[string]any)
		key = k
	}
	delete(parent, key)
}

// baseBody is our own cluster request, shaped like the examples' common
// part: a service-principal cluster with Linux and Windows profiles, an
// autoscaler profile and a standard load balancer with managed outbound
// IPs.
func baseBody() map[string]any {
	var m map[string]any
	src := fmt.Sprintf(`{
  "location": "westus2",
  "tags": {"env": "roundtrip", "owner": ""},
  "sku": {"name": "Base", "tier": "Free"},
  "properties": {
    "kubernetesVersion": "",
    "dnsPrefix": "rt-prefix",
    "agentPoolProfiles": [{"name": "sys", "count": 2, "vmSize": "Standard_D2s_v3", "osType": "Linux",
      "type": "VirtualMachineScaleSets", "mode": "System"}],
    "linuxProfile": {"adminUsername": "rtadmin", "ssh": {"publicKeys": [{"keyData": "ssh-ed25519 AAAAC3Nz-roundtrip"}]}},
    "windowsProfile": {"adminUsername": "rtwin", "adminPassword": %q},
    "servicePrincipalProfile": {"clientId": "7c1d5a52-0000-4000-8000-00000000c11e", "secret": %q},
    "networkProfile": {"loadBalancerSku": "standard", "outboundType": "loadBalancer",
      "loadBalancerProfile": {"managedOutboundIPs": {"count": 3}}},
    "autoScalerProfile": {"scan-interval": "30s", "scale-down-delay-after-add": "20m"},
    "addonProfiles": {},
    "enableRBAC": true,
    "diskEncryptionSetID": "/subscriptions/%s/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets/rt-des"
  }
}`, sentinelPassword, sentinelSecret, testSub)
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		panic(err)
	}
	return m
}

// The response paths every create example has (with the service
// principal and the Linux/Windows profiles of baseBody).
var (
	commonPaths = []string{
		"id", "location", "name", "type", "tags.env", "tags.owner",
		"properties.provisioningState", "properties.maxAgentPools", "properties.kubernetesVersion",
		"properties.currentKubernetesVersion",
		"properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].count",
		"properties.agentPoolProfiles[*].vmSize", "properties.agentPoolProfiles[*].maxPods",
		"properties.agentPoolProfiles[*].osType", "properties.agentPoolProfiles[*].provisioningState",
		"properties.agentPoolProfiles[*].orchestratorVersion", "properties.agentPoolProfiles[*].currentOrchestratorVersion",
		"properties.agentPoolProfiles[*].type", "properties.agentPoolProfiles[*].mode",
		"properties.agentPoolProfiles[*].nodeImageVersion",
		"properties.linuxProfile.adminUsername", "properties.linuxProfile.ssh.publicKeys[*].keyData",
		"properties.windowsProfile.adminUsername", "properties.servicePrincipalProfile.clientId",
		"properties.nodeResourceGroup", "properties.enableRBAC", "properties.diskEncryptionSetID",
		"properties.networkProfile.loadBalancerSku", "properties.networkProfile.networkPlugin",
		"properties.networkProfile.podCidr", "properties.networkProfile.serviceCidr",
		"properties.networkProfile.dnsServiceIP", "properties.networkProfile.outboundType",
		"properties.autoScalerProfile.scan-interval", "properties.autoScalerProfile.scale-down-delay-after-add",
	}
	publicPaths = []string{"properties.dnsPrefix", "properties.fqdn"}
	lbPaths     = []string{
		"properties.networkProfile.podCidrs[*]", "properties.networkProfile.serviceCidrs[*]",
		"properties.networkProfile.ipFamilies[*]",
		"properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts",
		"properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes",
		"properties.networkProfile.loadBalancerProfile.managedOutboundIPs.count",
		"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[*].id",
	}
	userAssignedPaths = []string{
		"identity.type", "identity.userAssignedIdentities.*.principalId", "identity.userAssignedIdentities.*.clientId",
	}
	// secretPathsIn are the request paths that must never come back.
	secretPathsIn = []string{"properties.windowsProfile.adminPassword", "properties.servicePrincipalProfile.secret"}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
