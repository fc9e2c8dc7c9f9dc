package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/tagwall/tagwall/internal/state"
)

// AKS's address defaults (swagger defaults and the dual-stack docs).
const (
	defaultPodCIDR      = "10.244.0.0/16"
	defaultServiceCIDR  = "10.0.0.0/16"
	defaultDNSServiceIP = "10.0.0.10"
	defaultPodCIDRv6    = "fd12:3456:789a::/64"
	defaultServiceCIDR6 = "fd12:3456:789a:1::/108"
)

// derivedID is a GUID that is a pure function of the cluster and a label,
// so a computed value (an outbound IP's name, an identity's client id) is
// the same on every read without being stored.
func derivedID(mc *state.ManagedCluster, label string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(strings.ToLower(mc.Key())+"/"+label)).String()
}

// deepCopy returns an independent copy of a generic JSON value.
func deepCopy[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(b, &out)
	return out
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func obj(m map[string]any, k string) map[string]any { o, _ := m[k].(map[string]any); return o }

// childObj returns m[k], creating it when absent.
func childObj(m map[string]any, k string) map[string]any {
	o := obj(m, k)
	if o == nil {
		o = map[string]any{}
		m[k] = o
	}
	return o
}

func strList(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = x
	}
	return out
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func isDualStack(np map[string]any) bool {
	return slices.ContainsFunc(strList(np["ipFamilies"]), func(s string) bool { return strings.EqualFold(s, "IPv6") })
}

// usesPodCIDR reports whether pods get addresses from an overlay range
// (kubenet, azure overlay, the cilium dataplane) rather than from a subnet.
func usesPodCIDR(np map[string]any) bool {
	plugin := strings.ToLower(str(np, "networkPlugin"))
	return plugin == "kubenet" || strings.EqualFold(str(np, "networkPluginMode"), "overlay") ||
		(plugin == "azure" && strings.EqualFold(str(np, "networkDataplane"), "cilium") && str(np, "podCidr") != "")
}

// defaultMaxPods is AKS's maxPods default for a pool under the network
// profile: kubenet 110; azure CNI 30, but 250 with overlay or the cilium
// dataplane; none (bring your own CNI) 250. Sources: MicrosoftDocs
// azure-docs (AKS networking concepts: "a default value of 110 for
// kubenet"), PSRule for Azure's Azure.AKS.NodeMinPods ("For Azure CNI AKS
// clusters, the default maximum number of pods is 30"), the AKS Azure CNI
// Overlay article (250); the 2025-07-01 examples (kubenet) show 110.
func defaultMaxPods(np map[string]any) int {
	switch plugin := strings.ToLower(str(np, "networkPlugin")); {
	case plugin == "kubenet":
		return 110
	case plugin == "none":
		return 250
	case strings.EqualFold(str(np, "networkPluginMode"), "overlay"), strings.EqualFold(str(np, "networkDataplane"), "cilium"):
		return 250
	default:
		return 30
	}
}

// defaultNetwork fills in the network profile's Defaulted properties (see
// clusterFields) and removes the profiles that belong to another outbound
// type. It returns a new map; np is not changed. It is idempotent, so it
// runs both when a PUT is stored and when a cluster is encoded.
func defaultNetwork(np map[string]any) map[string]any {
	np = deepCopy(np)
	if np == nil {
		np = map[string]any{}
	}
	setDefault(np, "networkPlugin", "kubenet")
	setDefault(np, "loadBalancerSku", "standard")
	setDefault(np, "outboundType", "loadBalancer")
	setDefault(np, "ipFamilies", []any{"IPv4"})
	dual := isDualStack(np)
	defaultCIDRs(np, "serviceCidr", "serviceCidrs", defaultServiceCIDR, defaultServiceCIDR6, dual)
	if usesPodCIDR(np) || np["podCidrs"] != nil || str(np, "podCidr") != "" {
		defaultCIDRs(np, "podCidr", "podCidrs", defaultPodCIDR, defaultPodCIDRv6, dual)
	}
	setDefault(np, "dnsServiceIP", defaultDNSServiceIP)
	switch strings.ToLower(str(np, "outboundType")) {
	case "loadbalancer":
		delete(np, "natGatewayProfile")
		defaultLoadBalancer(childObj(np, "loadBalancerProfile"), dual)
	case "managednatgateway":
		delete(np, "loadBalancerProfile")
		ng := childObj(np, "natGatewayProfile")
		setDefault(childObj(ng, "managedOutboundIPProfile"), "count", 1)
		setDefault(ng, "idleTimeoutInMinutes", 4)
	default: // userAssignedNATGateway, userDefinedRouting: no outbound IPs of AKS's
		delete(np, "loadBalancerProfile")
		delete(np, "natGatewayProfile")
	}
	return np
}

// defaultCIDRs fills a singular CIDR and its plural list from each other:
// the plural list, when given, decides the singular (its first element);
// otherwise the list is the singular, plus the IPv6 default for dual-stack.
func defaultCIDRs(np map[string]any, one, many, v4, v6 string, dual bool) {
	if list := strList(np[many]); len(list) > 0 {
		setDefault(np, one, list[0])
		return
	}
	setDefault(np, one, v4)
	list := []string{str(np, one)}
	if dual {
		list = append(list, v6)
	}
	np[many] = anyList(list)
}

func defaultLoadBalancer(lb map[string]any, dual bool) {
	hasOwn := obj(lb, "outboundIPs") != nil || obj(lb, "outboundIPPrefixes") != nil
	if !hasOwn || obj(lb, "managedOutboundIPs") != nil {
		m := childObj(lb, "managedOutboundIPs")
		setDefault(m, "count", 1)
		if dual {
			setDefault(m, "countIPv6", 1)
		}
	}
	setDefault(lb, "allocatedOutboundPorts", 0)
	setDefault(lb, "idleTimeoutInMinutes", 30)
	setDefault(lb, "backendPoolType", "NodeIPConfiguration")
}

// networkJSON is the network profile as returned: the stored profile with
// its defaults and the computed effectiveOutboundIPs.
func networkJSON(mc *state.ManagedCluster) map[string]any {
	np := defaultNetwork(mc.NetworkProfile)
	if lb := obj(np, "loadBalancerProfile"); lb != nil {
		lb["effectiveOutboundIPs"] = effectiveLBIPs(mc, lb)
	}
	if ng := obj(np, "natGatewayProfile"); ng != nil {
		n := toInt(obj(ng, "managedOutboundIPProfile")["count"])
		ng["effectiveOutboundIPs"] = managedIPs(mc, "natgateway", n, 0)
	}
	return np
}

// effectiveLBIPs lists the load balancer's outbound public IPs: the
// managed ones, else the client's own IPs, else its prefixes.
func effectiveLBIPs(mc *state.ManagedCluster, lb map[string]any) []any {
	if m := obj(lb, "managedOutboundIPs"); m != nil {
		return managedIPs(mc, "outbound", toInt(m["count"]), toInt(m["countIPv6"]))
	}
	for _, k := range []string{"outboundIPs", "outboundIPPrefixes"} {
		inner := "publicIPs"
		if k == "outboundIPPrefixes" {
			inner = "publicIPPrefixes"
		}
		if o := obj(lb, k); o != nil {
			var out []any
			if refs, ok := o[inner].([]any); ok {
				for _, r := range refs {
					if ref, ok := r.(map[string]any); ok && str(ref, "id") != "" {
						out = append(out, map[string]any{"id": str(ref, "id")})
					}
				}
			}
			return out
		}
	}
	return []any{}
}

// managedIPs are the resource ids of n IPv4 and n6 IPv6 public IPs that
// AKS creates in the node resource group.
func managedIPs(mc *state.ManagedCluster, label string, n, n6 int) []any {
	out := []any{}
	add := func(kind string, i int) {
		out = append(out, map[string]any{"id": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/publicIPAddresses/%s",
			mc.Subscription, mc.NodeResourceGroup, derivedID(mc, fmt.Sprintf("%s/%s/%d", label, kind, i)))})
	}
	for i := range n {
		add("ipv4", i)
	}
	for i := range n6 {
		add("ipv6", i)
	}
	return out
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int32:
		return int(x)
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}

// defaultPools fills in the agent pools' Defaulted properties; maxPods
// follows the network profile np.
func defaultPools(pools []map[string]any, version string, np map[string]any) []map[string]any {
	if len(pools) == 0 {
		pools = []map[string]any{{"name": "nodepool1", "count": 1, "vmSize": "Standard_DS2_v2", "mode": "System"}}
	}
	out := make([]map[string]any, 0, len(pools))
	for _, p := range pools {
		q := deepCopy(p)
		setDefault(q, "osType", "Linux")
		setDefault(q, "type", "VirtualMachineScaleSets")
		setDefault(q, "orchestratorVersion", version)
		setDefault(q, "count", 1)
		if v, ok := q["maxPods"]; !ok || v == nil || toInt(v) == 0 {
			q["maxPods"] = defaultMaxPods(np)
		}
		out = append(out, q)
	}
	return out
}

// identityJSON is the resource's identity: none for a service-principal
// cluster, principalId/tenantId for a system-assigned one, and each
// user-assigned identity with its principalId and clientId.
func identityJSON(mc *state.ManagedCluster) map[string]any {
	switch strings.ToLower(mc.IdentityType) {
	case "":
		return nil
	case "systemassigned":
		return map[string]any{"type": mc.IdentityType, "principalId": mc.PrincipalID, "tenantId": mc.TenantID}
	case "userassigned":
		uai := map[string]any{}
		for _, id := range mc.UserAssignedIdentities {
			uai[id] = map[string]any{"principalId": derivedID(mc, "identity/principal/"+strings.ToLower(id)),
				"clientId": derivedID(mc, "identity/client/"+strings.ToLower(id))}
		}
		return map[string]any{"type": mc.IdentityType, "userAssignedIdentities": uai}
	}
	return map[string]any{"type": mc.IdentityType}
}

// servicePrincipalClientID is the clientId of the request's
// servicePrincipalProfile ("" when none is given).
func servicePrincipalClientID(extra map[string]json.RawMessage) string {
	for k, raw := range extra {
		if strings.EqualFold(k, "servicePrincipalProfile") {
			var sp struct {
				ClientID string `json:"clientId"`
			}
			_ = json.Unmarshal(raw, &sp)
			return sp.ClientID
		}
	}
	return ""
}

// extraString is a string property kept in Extra ("" when absent).
func extraString(extra map[string]json.RawMessage, name string) string {
	for k, raw := range extra {
		if strings.EqualFold(k, name) {
			var s string
			_ = json.Unmarshal(raw, &s)
			return s
		}
	}
	return ""
}

// privateFQDN is a private cluster's API server name: <fqdnSubdomain>.<zone>
// with a custom private DNS zone, else the public name's first label, a
// GUID and "privatelink" in front of the rest of the public name.
func privateFQDN(mc *state.ManagedCluster) string {
	zone := mc.Access.PrivateDNSZone
	if sub := extraString(mc.Extra, "fqdnSubdomain"); sub != "" && strings.Contains(zone, "/") {
		return strings.ToLower(sub + "." + zone[strings.LastIndex(zone, "/")+1:])
	}
	label, rest, _ := strings.Cut(mc.FQDN, ".")
	return label + "." + derivedID(mc, "privatefqdn") + ".privatelink." + rest
}

// setIdentity records the identity a PUT asks for: the given type (and a
// UserAssigned identity's resource ids); with no identity, SystemAssigned,
// unless the request names a service principal of its own, which AKS then
// uses instead of a managed identity.
func setIdentity(mc *state.ManagedCluster, req *clusterRequest, sp *clusterSpec) {
	mc.IdentityType, mc.UserAssignedIdentities = "SystemAssigned", nil
	if req.Identity == nil || req.Identity.Type == "" {
		if id := servicePrincipalClientID(sp.extra); id != "" && !strings.EqualFold(id, "msi") {
			mc.IdentityType = ""
		}
		return
	}
	mc.IdentityType = req.Identity.Type
	for id := range req.Identity.UserAssignedIdentities {
		mc.UserAssignedIdentities = append(mc.UserAssignedIdentities, id)
	}
	slices.Sort(mc.UserAssignedIdentities)
}

// defaultSupportPlan is the support plan AKS gives a cluster whose request
// names none (ManagedClustersCreate_DisableRunCommand.json returns it).
const defaultSupportPlan = "KubernetesOfficial"

// defaultIstioRevision is the Istio add-on revision a new service mesh
// profile gets.
const defaultIstioRevision = "asm-1-25"

// defaultProfiles fills the Defaulted properties of echoed profiles (see
// clusterFields): the support plan, a managed AAD profile's tenantID and
// an Istio service mesh's revisions.
func defaultProfiles(mc *state.ManagedCluster, props map[string]any) {
	setDefault(props, "supportPlan", defaultSupportPlan)
	if aad := obj(props, "aadProfile"); aad != nil && aad["managed"] == true {
		setDefault(aad, "tenantID", mc.TenantID)
	}
	if mesh := obj(props, "serviceMeshProfile"); mesh != nil && strings.EqualFold(str(mesh, "mode"), "Istio") {
		istio := childObj(mesh, "istio")
		if len(strList(istio["revisions"])) == 0 {
			istio["revisions"] = []any{defaultIstioRevision}
		}
	}
}

// encodePool is one agent pool as the agentPools sub-resource returns it,
// under the same field policy as the cluster's agentPoolProfiles: the
// pool's defaults (maxPods per the cluster's network plugin), the
// server's read-only properties, and no secret.
func encodePool(mc *state.ManagedCluster, p map[string]any) map[string]any {
	pool := defaultPools([]map[string]any{p}, mc.KubernetesVersion, defaultNetwork(mc.NetworkProfile))[0]
	out := deepCopy(poolProperties(mc, pool))
	if out == nil {
		out = map[string]any{}
	}
	dropSecrets(out)
	return out
}
