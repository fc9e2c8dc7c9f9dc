package api

import (
	"fmt"
	"sort"
	"strings"
)

// Policy says what the server does with one property of a managed cluster,
// on input (a PUT body) and on output (every body that carries a cluster:
// PUT, GET, LIST, PATCH).
type Policy int

const (
	// Echo: stored as sent and returned as sent. Every property that
	// clusterFields does not name is echoed.
	Echo Policy = iota
	// Defaulted: returned as sent, or with the value AKS gives it when the
	// request leaves it out.
	Defaulted
	// Computed: the server's own value; whatever the client sends is
	// dropped before it is stored.
	Computed
	// ReadOnly: dropped on input and never returned (tagwall does not
	// model it, and a client's value must not come back as if it had).
	ReadOnly
	// Secret: accepted, dropped before it is stored, never returned.
	Secret
)

var policyNames = [...]string{Echo: "echoed", Defaulted: "defaulted", Computed: "computed", ReadOnly: "read-only", Secret: "secret"}

// String is the policy's name as the docs show it.
func (p Policy) String() string { return policyNames[p] }

// fieldRule is one row of the field policy. Path is dotted from the
// resource's top level; "[*]" stands for every element of an array and "*"
// for every key of an object (user-assigned identities are keyed by
// resource id). Keys match case-insensitively, as ARM's JSON does.
type fieldRule struct {
	Path   string
	Policy Policy
	Doc    string // the value given (Defaulted, Computed) or why (ReadOnly, Secret)
}

// secretSuffixes make any property whose name ends in one of them a Secret,
// wherever it is (aadProfile.serverAppSecret, a future *Password).
var secretSuffixes = []string{"password", "secret"}

// clusterFields is the single source of the managed cluster's field policy:
// sanitizeCluster applies it to every request body and encodeCluster to
// every response body, and docs/serve.md's table is generated from it
// (TestFieldPolicyDocs). A row's Doc is the contract the code in
// clusterdefaults.go implements.
var clusterFields = []fieldRule{
	{"id", Computed, "the resource id"},
	{"name", Computed, "the name in the URL"},
	{"type", Computed, "`Microsoft.ContainerService/ManagedClusters`"},
	{"eTag", Computed, "the record's revision (also the `ETag` header)"},
	{"systemData", ReadOnly, "not modelled"},
	{"location", Echo, "normalised (lower case, no spaces); required on create, kept on update"},
	{"tags", Echo, "replaced by PUT and by PATCH"},
	{"sku", Defaulted, "`{\"name\":\"Base\",\"tier\":\"Free\"}`"},
	{"identity.type", Defaulted, "`SystemAssigned` unless the request names a service principal (then no `identity`)"},
	{"identity.principalId", Computed, "system-assigned: a GUID stable for the cluster's life"},
	{"identity.tenantId", Computed, "system-assigned: the tenant"},
	{"identity.userAssignedIdentities.*", Echo, "the identity resource ids as sent"},
	{"identity.userAssignedIdentities.*.principalId", Computed, "a GUID derived from the identity's id"},
	{"identity.userAssignedIdentities.*.clientId", Computed, "a GUID derived from the identity's id"},
	{"properties.provisioningState", Computed, "Creating/Updating, then Succeeded or Failed"},
	{"properties.powerState", Computed, "`{\"code\":\"Running\"}`"},
	{"properties.maxAgentPools", Computed, "100"},
	{"properties.kubernetesVersion", Defaulted, "the server's default version"},
	{"properties.currentKubernetesVersion", Computed, "the patch version `kubernetesVersion` resolves to"},
	{"properties.dnsPrefix", Defaulted, "az's default (`name[:10]-group[:16]-sub[:6]`); not returned when `fqdnSubdomain` is given instead"},
	{"properties.fqdnSubdomain", Echo, "used for `privateFQDN`; no `dnsPrefix` or public `fqdn` is invented"},
	{"properties.fqdn", Computed, "`<dnsPrefix>-<hex>.<location>.<suffix>`; private clusters only with `enablePrivateClusterPublicFQDN`, never with `fqdnSubdomain`"},
	{"properties.azurePortalFQDN", Computed, "`fqdn` with `portal` after its first label, like AKS's"},
	{"properties.privateFQDN", Computed, "private clusters: `<fqdnSubdomain>.<zone>` with a custom zone, else `<dnsPrefix>-<hex>.<guid>.privatelink.<location>.<suffix>`"},
	{"properties.nodeResourceGroup", Defaulted, "`MC_<group>_<name>_<location>`; kept on update"},
	{"properties.enableRBAC", Defaulted, "true"},
	{"properties.identityProfile", Computed, "the kubelet identity (clusters with a managed identity)"},
	{"properties.resourceUID", Computed, "not returned"},
	{"properties.tagwallStatus", Computed, "tagwall's extension: what the gateway enforces"},
	{"properties.servicePrincipalProfile.clientId", Defaulted, "kept as sent; `msi` only when none is given and a managed identity is used"},
	{"properties.servicePrincipalProfile.secret", Secret, "a credential"},
	{"properties.windowsProfile.adminPassword", Secret, "a credential"},
	{"properties.windowsProfile.adminUsername", Echo, ""},
	{"properties.linuxProfile", Echo, ""},
	{"properties.addonProfiles", Echo, ""},
	{"properties.addonProfiles.*.identity", Computed, "not returned (no addon identities are created)"},
	{"properties.supportPlan", Defaulted, "`" + defaultSupportPlan + "`"},
	{"properties.aadProfile.tenantID", Defaulted, "the cluster's tenant, for a managed AAD profile"},
	{"properties.serviceMeshProfile.istio.revisions", Defaulted, "[" + defaultIstioRevision + "] for mode Istio"},
	{"properties.oidcIssuerProfile.issuerURL", ReadOnly, "not modelled"},
	{"properties.privateLinkResources[*].privateLinkServiceID", ReadOnly, "not modelled"},
	{"properties.apiServerAccessProfile.authorizedIPRanges", Echo, "validated and normalised (`1.2.3.4` becomes `1.2.3.4/32`); a PUT without it keeps the stored list"},
	{"properties.apiServerAccessProfile.enablePrivateCluster", Defaulted, "false"},
	{"properties.apiServerAccessProfile.privateDNSZone", Defaulted, "`system` for a private cluster"},
	{"properties.agentPoolProfiles", Defaulted, "one System pool `nodepool1` (1 × Standard_DS2_v2)"},
	{"properties.agentPoolProfiles[*].count", Defaulted, "1"},
	{"properties.agentPoolProfiles[*].osType", Defaulted, "Linux"},
	{"properties.agentPoolProfiles[*].type", Defaulted, "VirtualMachineScaleSets"},
	{"properties.agentPoolProfiles[*].orchestratorVersion", Defaulted, "the cluster's kubernetesVersion"},
	{"properties.agentPoolProfiles[*].maxPods", Defaulted, "per network plugin: kubenet 110, azure 30, azure overlay or cilium dataplane 250, none 250"},
	{"properties.agentPoolProfiles[*].provisioningState", Computed, "the cluster's"},
	{"properties.agentPoolProfiles[*].powerState", Computed, "`{\"code\":\"Running\"}`"},
	{"properties.agentPoolProfiles[*].currentOrchestratorVersion", Computed, "the patch version orchestratorVersion resolves to"},
	{"properties.agentPoolProfiles[*].nodeImageVersion", Computed, "a fixed AKSUbuntu image"},
	{"properties.agentPoolProfiles[*].eTag", Computed, "the cluster's revision"},
	{"properties.networkProfile.networkPlugin", Defaulted, "kubenet"},
	{"properties.networkProfile.loadBalancerSku", Defaulted, "standard"},
	{"properties.networkProfile.outboundType", Defaulted, "loadBalancer"},
	{"properties.networkProfile.podCidr", Defaulted, "10.244.0.0/16 for kubenet and overlay; none for flat azure CNI; the first of `podCidrs` when those are given"},
	{"properties.networkProfile.serviceCidr", Defaulted, "10.0.0.0/16, or the first of `serviceCidrs`"},
	{"properties.networkProfile.dnsServiceIP", Defaulted, "10.0.0.10"},
	{"properties.networkProfile.ipFamilies", Defaulted, "[IPv4]"},
	{"properties.networkProfile.podCidrs", Defaulted, "[podCidr], plus fd12:3456:789a::/64 for dual-stack"},
	{"properties.networkProfile.serviceCidrs", Defaulted, "[serviceCidr], plus fd12:3456:789a:1::/108 for dual-stack"},
	{"properties.networkProfile.loadBalancerProfile", Defaulted, "outboundType loadBalancer only; removed for other outbound types"},
	{"properties.networkProfile.loadBalancerProfile.managedOutboundIPs.count", Defaulted, "1, when no outboundIPs or outboundIPPrefixes are given"},
	{"properties.networkProfile.loadBalancerProfile.managedOutboundIPs.countIPv6", Defaulted, "1 for dual-stack, else 0"},
	{"properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts", Defaulted, "0 (dynamic)"},
	{"properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes", Defaulted, "30"},
	{"properties.networkProfile.loadBalancerProfile.backendPoolType", Defaulted, "NodeIPConfiguration"},
	{"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs", Computed, "the public IP resource ids in use: the managed ones (in the node resource group), else outboundIPs, else outboundIPPrefixes"},
	{"properties.networkProfile.natGatewayProfile", Defaulted, "outboundType managedNATGateway only; removed for other outbound types"},
	{"properties.networkProfile.natGatewayProfile.managedOutboundIPProfile.count", Defaulted, "1"},
	{"properties.networkProfile.natGatewayProfile.idleTimeoutInMinutes", Defaulted, "4"},
	{"properties.networkProfile.natGatewayProfile.effectiveOutboundIPs", Computed, "the managed public IP resource ids"},
}

// dropOnInput reports whether the policy removes a property from a request.
func (p Policy) dropOnInput() bool { return p == Computed || p == ReadOnly || p == Secret }

// isSecretKey reports whether a property name is a secret wherever it is.
func isSecretKey(k string) bool {
	lk := strings.ToLower(k)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(lk, s) {
			return true
		}
	}
	return false
}

// splitPath turns "a.b[*].c" into ["a", "b", "[*]", "c"].
func splitPath(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, ".") {
		if name, ok := strings.CutSuffix(seg, "[*]"); ok {
			out = append(out, name, "[*]")
			continue
		}
		out = append(out, seg)
	}
	return out
}

// deletePath removes every property the path names from v.
func deletePath(v any, segs []string) {
	if len(segs) == 0 {
		return
	}
	switch x := v.(type) {
	case []any:
		if segs[0] == "[*]" {
			for _, e := range x {
				deletePath(e, segs[1:])
			}
		}
	case map[string]any:
		for k, child := range x {
			if segs[0] != "*" && !strings.EqualFold(k, segs[0]) {
				continue
			}
			if len(segs) == 1 {
				delete(x, k)
				continue
			}
			deletePath(child, segs[1:])
		}
	}
}

// userKeyed are the objects whose keys are the user's data, not property
// names: a tag called "secret" is a tag, not a credential.
var userKeyed = map[string]bool{"tags": true, "nodelabels": true}

// dropSecrets removes every property whose name is a secret, at any depth
// (but not the keys of tags and node labels).
func dropSecrets(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			dropSecrets(e)
		}
	case map[string]any:
		for k, child := range x {
			if isSecretKey(k) {
				delete(x, k)
				continue
			}
			if !userKeyed[strings.ToLower(k)] {
				dropSecrets(child)
			}
		}
	case []map[string]any:
		for _, e := range x {
			dropSecrets(e)
		}
	}
}

// sanitizeCluster applies the policy to a request body (the whole
// resource, decoded into generic JSON values): Computed, ReadOnly and
// Secret properties are removed in place, so nothing the server owns or
// must not keep reaches the store.
func sanitizeCluster(body map[string]any) {
	for _, r := range clusterFields {
		if r.Policy.dropOnInput() {
			deletePath(body, splitPath(r.Path))
		}
	}
	dropSecrets(body)
}

// scrubCluster applies the policy to a response body: Secret and ReadOnly
// properties are removed wherever they are, whatever put them there.
func scrubCluster(body map[string]any) {
	for _, r := range clusterFields {
		if r.Policy == Secret || r.Policy == ReadOnly {
			deletePath(body, splitPath(r.Path))
		}
	}
	dropSecrets(body)
}

// FieldPolicyMarkdown renders the field policy as the Markdown table in
// docs/serve.md.
func FieldPolicyMarkdown() string {
	rows := append([]fieldRule(nil), clusterFields...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	var b strings.Builder
	b.WriteString("| property | policy | value / note |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Path, r.Policy, strings.ReplaceAll(r.Doc, "|", "\\|"))
	}
	fmt.Fprintf(&b, "| any `*Password`, `*Secret` | %s | accepted, dropped before it is stored, never returned |\n", Secret)
	b.WriteString("| anything else | echoed | stored and returned as sent |\n")
	return b.String()
}

// readOnlyPoolFields are the agent pool properties the policy drops from a
// request (its Computed, ReadOnly and Secret rows under
// agentPoolProfiles[*]), for handlers that take one pool at a time.
var readOnlyPoolFields = poolInputDrops()

func poolInputDrops() []string {
	const prefix = "properties.agentPoolProfiles[*]."
	var out []string
	for _, r := range clusterFields {
		if rest, ok := strings.CutPrefix(r.Path, prefix); ok && r.Policy.dropOnInput() && !strings.ContainsAny(rest, ".[") {
			out = append(out, rest)
		}
	}
	return out
}
