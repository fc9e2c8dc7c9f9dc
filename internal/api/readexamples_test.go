package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

const rtClusters = sub + "/resourceGroups/rt/providers/Microsoft.ContainerService/managedClusters/"

// createRaw PUTs body as cluster name and waits for Succeeded.
func (e *env) createRaw(t *testing.T, name string, m map[string]any) []byte {
	t.Helper()
	raw, _ := json.Marshal(m)
	resp := e.do(t, http.MethodPut, rtClusters+name+exampleVersion, string(raw))
	if b := body(t, resp); resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", name, resp.StatusCode, b)
	}
	return e.waitSucceeded(t, rtClusters+name+exampleVersion)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// at reads a dotted path ("properties.networkProfile.podCidr", "a[0].b").
func at(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(seg, "[")
		m, _ := v.(map[string]any)
		v = m[name]
		if hasIdx {
			list, _ := v.([]any)
			i := int(idx[0] - '0')
			if i >= len(list) {
				return nil
			}
			v = list[i]
		}
	}
	return v
}

// TestGetExample mirrors ManagedClustersGet.json: the client's own
// outbound IPs, a pool's upgradeSettings, the resource's and the pool's
// eTag, azurePortalFQDN; read-only values the client sends (a pool eTag,
// effectiveOutboundIPs, identity ids) are ignored.
func TestGetExample(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	m := baseBody()
	ownIP := sub + "/resourceGroups/ips/providers/Microsoft.Network/publicIPAddresses/rt-own-1"
	set(m, "properties.networkProfile.loadBalancerProfile", map[string]any{
		"outboundIPs":          map[string]any{"publicIPs": []any{map[string]any{"id": ownIP}}},
		"effectiveOutboundIPs": []any{map[string]any{"id": "/bogus/from/the/client"}},
	})
	set(m, "properties.agentPoolProfiles[0].upgradeSettings", map[string]any{"maxSurge": "50%"})
	set(m, "properties.agentPoolProfiles[0].eTag", "client-etag")
	set(m, "properties.agentPoolProfiles[0].availabilityZones", []any{"1", "2"})
	set(m, "properties.upgradeSettings", map[string]any{"overrideSettings": map[string]any{"forceUpgrade": true, "until": "2030-01-01T00:00:00Z"}})
	set(m, "properties.provisioningState", "Succeeded-by-client")
	set(m, "properties.fqdn", "client.example")
	m["identity"] = map[string]any{"type": "SystemAssigned", "principalId": "client-principal"}
	b := e.createRaw(t, "get", m)
	checkShape(t, "GET", b, "", concat(commonPaths, publicPaths, lbPaths[:4], []string{"eTag", "properties.azurePortalFQDN",
		"properties.agentPoolProfiles[*].eTag", "properties.agentPoolProfiles[*].upgradeSettings.maxSurge",
		"properties.agentPoolProfiles[*].availabilityZones[*]",
		"properties.networkProfile.loadBalancerProfile.outboundIPs.publicIPs[*].id",
		"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[*].id",
		"properties.upgradeSettings.overrideSettings.forceUpgrade", "properties.upgradeSettings.overrideSettings.until"}),
		[]string{"properties.networkProfile.loadBalancerProfile.managedOutboundIPs"})
	got := decode(t, b)
	for path, want := range map[string]any{
		"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[0].id": ownIP,
		"properties.agentPoolProfiles[0].eTag":                                     got["eTag"],
		"properties.provisioningState":                                             "Succeeded",
	} {
		if v := at(got, path); v != want {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
	if v := at(got, "properties.fqdn"); v == "client.example" {
		t.Error("fqdn echoed from the client")
	}
	if v := at(got, "identity.principalId"); v == "client-principal" || v == nil {
		t.Errorf("identity.principalId = %v, want the server's", v)
	}
	if v := at(got, "properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[1]"); v != nil {
		t.Errorf("the client's effectiveOutboundIPs came back: %v", v)
	}
	res, err := e.clustersClient(t).Get(context.Background(), "rt", "get", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.ManagedCluster)
	checkShape(t, "SDK get", out, "", []string{"eTag", "properties.agentPoolProfiles[*].eTag",
		"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[*].id"}, nil)
}

// TestUpdateTagsExample mirrors ManagedClustersUpdateTags.json over raw
// HTTP and the SDK's BeginUpdateTags.
func TestUpdateTagsExample(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	e.createRaw(t, "tags", baseBody())
	want := concat(commonPaths[6:], publicPaths, []string{"id", "location", "name", "type", "tags.stage", "tags.flag",
		"properties.networkProfile.podCidr"})
	resp := e.do(t, http.MethodPatch, rtClusters+"tags"+exampleVersion, `{"tags":{"stage":"testing","flag":""}}`)
	b := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, b)
	}
	checkShape(t, "PATCH", b, "", want, []string{"tags.env"})
	poller, err := e.clustersClient(t).BeginUpdateTags(context.Background(), "rt", "tags",
		armcontainerservice.TagsObject{Tags: map[string]*string{"stage": to.Ptr("sdk"), "flag": to.Ptr("")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := poller.PollUntilDone(context.Background(), poll())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.ManagedCluster)
	checkShape(t, "SDK PATCH", out, "", want, nil)
}

// TestCredentialExamples mirrors ManagedClustersListClusterUserCredentials,
// ManagedClustersListClusterAdminCredentials and
// ManagedClustersListClusterMonitoringUserCredentials: kubeconfigs[*].name
// and value, no secret of the cluster's, each kubeconfig named as AKS names
// it. The admin and monitoring examples' responses are the user one's
// ({"kubeconfigs":[{"name":"credentialName1","value":"Y3Jl…"}]}), as
// armcontainerservice's generated ExampleManagedClustersClient_
// ListClusterAdminCredentials and …MonitoringUserCredentials show (from the
// 2025-02-01 examples; the 2025-07-01 files were not in the reference
// index); all three answer the CredentialResults model, whose only paths
// are these.
func TestCredentialExamples(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	e.createRaw(t, "creds", baseBody())
	want := []string{"kubeconfigs[*].name", "kubeconfigs[*].value"}
	for action, name := range map[string]string{"listClusterUserCredential": "clusterUser",
		"listClusterAdminCredential": "clusterAdmin", "listClusterMonitoringUserCredential": "clusterMonitoringUser"} {
		resp := e.do(t, http.MethodPost, rtClusters+"creds/"+action+exampleVersion, "")
		b := body(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", action, resp.StatusCode, b)
		}
		checkShape(t, action, b, "", want, nil)
		if got := at(decode(t, b), "kubeconfigs[0].name"); got != name {
			t.Errorf("%s: kubeconfig named %v, want %s", action, got, name)
		}
	}
	mcs := e.clustersClient(t)
	user, err := mcs.ListClusterUserCredentials(context.Background(), "rt", "creds", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(user.CredentialResults)
	checkShape(t, "SDK user credentials", out, "", want, nil)
	admin, err := mcs.ListClusterAdminCredentials(context.Background(), "rt", "creds", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ = json.Marshal(admin.CredentialResults)
	checkShape(t, "SDK admin credentials", out, "", want, nil)
	mon, err := mcs.ListClusterMonitoringUserCredentials(context.Background(), "rt", "creds", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ = json.Marshal(mon.CredentialResults)
	checkShape(t, "SDK monitoring user credentials", out, "", want, nil)
}

// TestIdentityAsAKS: system-assigned gets principalId/tenantId and a
// service principal "msi"; a service principal the client names is kept
// (with or without a managed identity), and a cluster with only a service
// principal has no identity; user-assigned keeps each identity's key.
func TestIdentityAsAKS(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	tests := []struct {
		name   string
		edit   func(m map[string]any)
		want   map[string]any // path → value; nil value: absent
		expect []string       // paths that must be present
	}{
		{name: "system assigned, no service principal",
			edit: func(m map[string]any) {
				del(m, "properties.servicePrincipalProfile")
				m["identity"] = map[string]any{"type": "SystemAssigned"}
			},
			want:   map[string]any{"identity.type": "SystemAssigned", "properties.servicePrincipalProfile.clientId": "msi"},
			expect: []string{"identity.principalId", "identity.tenantId", "properties.identityProfile.kubeletidentity.clientId"}},
		{name: "nothing given", edit: func(m map[string]any) { del(m, "properties.servicePrincipalProfile") },
			want: map[string]any{"identity.type": "SystemAssigned", "properties.servicePrincipalProfile.clientId": "msi"}},
		{name: "service principal only",
			want: map[string]any{"identity": nil, "properties.identityProfile": nil,
				"properties.servicePrincipalProfile.clientId": "7c1d5a52-0000-4000-8000-00000000c11e"}},
		{name: "service principal and system assigned",
			edit: func(m map[string]any) { m["identity"] = map[string]any{"type": "SystemAssigned"} },
			want: map[string]any{"properties.servicePrincipalProfile.clientId": "7c1d5a52-0000-4000-8000-00000000c11e"}},
		{name: "user assigned", edit: userAssigned,
			want:   map[string]any{"identity.type": "UserAssigned", "identity.principalId": nil, "identity.tenantId": nil},
			expect: []string{"identity.userAssignedIdentities.*.clientId", "identity.userAssignedIdentities.*.principalId"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseBody()
			if tt.edit != nil {
				tt.edit(m)
			}
			b := e.createRaw(t, "id"+string(rune('a'+i)), m)
			got := decode(t, b)
			for p, want := range tt.want {
				if v := at(got, p); v != want {
					t.Errorf("%s = %v, want %v", p, v, want)
				}
			}
			checkShape(t, "GET", b, "", tt.expect, nil)
			if tt.name == "user assigned" {
				uai, _ := at(got, "identity.userAssignedIdentities").(map[string]any)
				if _, ok := uai[userIdentity]; !ok || len(uai) != 1 {
					t.Errorf("userAssignedIdentities = %v, want the one sent", uai)
				}
			}
		})
	}
}

// TestNetworkDefaults: maxPods per network plugin, dual-stack lists,
// outbound profiles per outbound type.
func TestNetworkDefaults(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	tests := []struct {
		name string
		np   map[string]any
		pool map[string]any
		want map[string]any
	}{
		{name: "kubenet", np: map[string]any{}, want: map[string]any{"properties.agentPoolProfiles[0].maxPods": 110.0,
			"properties.networkProfile.podCidr": "10.244.0.0/16", "properties.networkProfile.dnsServiceIP": "10.0.0.10"}},
		{name: "azure", np: map[string]any{"networkPlugin": "azure"}, want: map[string]any{"properties.agentPoolProfiles[0].maxPods": 30.0,
			"properties.networkProfile.podCidr": nil, "properties.networkProfile.serviceCidr": "10.0.0.0/16"}},
		{name: "azure overlay", np: map[string]any{"networkPlugin": "azure", "networkPluginMode": "overlay"},
			want: map[string]any{"properties.agentPoolProfiles[0].maxPods": 250.0, "properties.networkProfile.podCidr": "10.244.0.0/16"}},
		{name: "cilium", np: map[string]any{"networkPlugin": "azure", "networkPluginMode": "overlay", "networkDataplane": "cilium"},
			want: map[string]any{"properties.agentPoolProfiles[0].maxPods": 250.0}},
		{name: "explicit maxPods", np: map[string]any{"networkPlugin": "azure"}, pool: map[string]any{"maxPods": 60},
			want: map[string]any{"properties.agentPoolProfiles[0].maxPods": 60.0}},
		{name: "dual-stack", np: map[string]any{"networkPlugin": "azure", "networkPluginMode": "overlay", "ipFamilies": []any{"IPv4", "IPv6"}},
			want: map[string]any{"properties.networkProfile.podCidrs[1]": "fd12:3456:789a::/64",
				"properties.networkProfile.serviceCidrs[1]":                                  "fd12:3456:789a:1::/108",
				"properties.networkProfile.loadBalancerProfile.managedOutboundIPs.countIPv6": 1.0,
				"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[1].id":   true}},
		{name: "plural lists given", np: map[string]any{"podCidrs": []any{"10.100.0.0/16"}, "serviceCidrs": []any{"10.200.0.0/16"}, "dnsServiceIP": "10.200.0.10"},
			want: map[string]any{"properties.networkProfile.podCidr": "10.100.0.0/16", "properties.networkProfile.serviceCidr": "10.200.0.0/16"}},
		{name: "user-defined routing", np: map[string]any{"networkPlugin": "azure", "outboundType": "userDefinedRouting",
			"loadBalancerProfile": map[string]any{"managedOutboundIPs": map[string]any{"count": 2}}},
			want: map[string]any{"properties.networkProfile.loadBalancerProfile": nil, "properties.networkProfile.natGatewayProfile": nil}},
		{name: "load balancer defaults", np: map[string]any{"loadBalancerProfile": map[string]any{"managedOutboundIPs": map[string]any{"count": 2}}},
			want: map[string]any{"properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes": 30.0,
				"properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts": 0.0}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseBody()
			set(m, "properties.networkProfile", tt.np)
			for k, v := range tt.pool {
				set(m, "properties.agentPoolProfiles[0]."+k, v)
			}
			got := decode(t, e.createRaw(t, "net"+string(rune('a'+i)), m))
			for p, want := range tt.want {
				v := at(got, p)
				if b, ok := want.(bool); ok && b {
					if v == nil {
						t.Errorf("%s missing", p)
					}
					continue
				}
				if v != want {
					t.Errorf("%s = %v, want %v", p, v, want)
				}
			}
		})
	}
}

// TestDNSPrefixOrSubdomain: a cluster names its API server by dnsPrefix
// or by fqdnSubdomain, never both.
func TestDNSPrefixOrSubdomain(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	m := baseBody()
	set(m, "properties.fqdnSubdomain", "rt-sub")
	raw, _ := json.Marshal(m)
	status, code, _, target := armTarget(t, e.do(t, http.MethodPut, rtClusters+"both"+exampleVersion, string(raw)))
	if status != http.StatusBadRequest || code != "InvalidParameter" || target != "properties.fqdnSubdomain" {
		t.Errorf("both: %d %s %s", status, code, target)
	}
}

// TestAgentPoolSubresourcePolicy: the agentPools sub-resource shows a
// pool as agentPoolProfiles does (maxPods defaulted per plugin, read-only
// values the server's), and no secret.
func TestAgentPoolSubresourcePolicy(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	m := baseBody()
	set(m, "properties.networkProfile", map[string]any{"networkPlugin": "azure"})
	e.createRaw(t, "pools", m)
	b := body(t, e.do(t, http.MethodGet, rtClusters+"pools/agentPools/sys"+exampleVersion, ""))
	got := decode(t, b)
	if v := at(got, "properties.maxPods"); v != 30.0 {
		t.Errorf("agentPools/sys maxPods = %v, want 30 (azure CNI): %s", v, b)
	}
	checkShape(t, "GET agentPools/sys", b, "", []string{"id", "name", "type", "properties.count", "properties.vmSize",
		"properties.provisioningState", "properties.orchestratorVersion", "properties.currentOrchestratorVersion"}, nil)
	checkShape(t, "LIST agentPools", body(t, e.do(t, http.MethodGet, rtClusters+"pools/agentPools"+exampleVersion, "")),
		"value[*].", []string{"properties.maxPods"}, nil)
}
