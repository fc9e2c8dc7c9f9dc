package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

// clusterRequest is the PUT body of a managed cluster.
type clusterRequest struct {
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags"`
	SKU      json.RawMessage   `json:"sku"`
	Identity *struct {
		Type                   string                     `json:"type"`
		UserAssignedIdentities map[string]json.RawMessage `json:"userAssignedIdentities"`
	} `json:"identity"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// accessRequest is properties.apiServerAccessProfile as sent.
// AuthorizedIPRanges is nil when the field is absent or null ("not
// specified": an existing cluster keeps its list) and non-nil for an
// explicit list, [] included.
type accessRequest struct {
	AuthorizedIPRanges             *[]string `json:"authorizedIPRanges"`
	EnablePrivateCluster           bool      `json:"enablePrivateCluster"`
	EnableVnetIntegration          bool      `json:"enableVnetIntegration"`
	SubnetID                       string    `json:"subnetId"`
	PrivateDNSZone                 string    `json:"privateDNSZone"`
	EnablePrivateClusterPublicFQDN *bool     `json:"enablePrivateClusterPublicFQDN"`
	DisableRunCommand              *bool     `json:"disableRunCommand"`
}

// clusterSpec is what a PUT asks for, before validation of the ranges.
type clusterSpec struct {
	kubernetesVersion string
	dnsPrefix         string
	nodeResourceGroup string
	agentPools        []map[string]any
	networkProfile    map[string]any
	access            accessRequest
	accessSet         bool // apiServerAccessProfile present and not null
	extra             map[string]json.RawMessage
}

// readOnlyProperties are dropped from a PUT body: the server owns them (az
// echoes a GET back on update).
var readOnlyProperties = map[string]bool{
	"provisioningstate": true, "powerstate": true, "fqdn": true, "azureportalfqdn": true, "privatefqdn": true,
	"currentkubernetesversion": true, "maxagentpools": true, "identityprofile": true, "tagwallstatus": true,
	"resourceuid": true,
}

// parseClusterProperties splits the properties into the fields tagwall
// models and the rest, which is kept and echoed back. Missing or null
// properties are a 400 (a PUT replaces the cluster, so an empty one is
// never read as "nothing set"), and so are two keys that differ only in
// case: which one wins would otherwise depend on map order.
func parseClusterProperties(props map[string]json.RawMessage) (*clusterSpec, error) {
	if props == nil {
		return nil, &arm.Error{Status: http.StatusBadRequest, Code: "InvalidRequestContent", Target: "properties",
			Message: "The request content was invalid: 'properties' is required and must be an object; a managed cluster PUT carries the whole cluster."}
	}
	seen := make(map[string]string, len(props))
	for k := range props {
		if prev, dup := seen[strings.ToLower(k)]; dup {
			return nil, &arm.Error{Status: http.StatusBadRequest, Code: "InvalidRequestContent", Target: "properties." + k,
				Message: fmt.Sprintf("The request content was invalid: properties '%s' and '%s' differ only in case; send one.", arm.Printable(prev), arm.Printable(k))}
		}
		seen[strings.ToLower(k)] = k
	}
	props, err := sanitizeProperties(props)
	if err != nil {
		return nil, err
	}
	sp := &clusterSpec{extra: map[string]json.RawMessage{}}
	for k, raw := range props {
		var err error
		switch lk := strings.ToLower(k); {
		case readOnlyProperties[lk]:
		case lk == "kubernetesversion":
			err = json.Unmarshal(raw, &sp.kubernetesVersion)
		case lk == "dnsprefix":
			err = json.Unmarshal(raw, &sp.dnsPrefix)
		case lk == "noderesourcegroup":
			err = json.Unmarshal(raw, &sp.nodeResourceGroup)
		case lk == "agentpoolprofiles":
			err = json.Unmarshal(raw, &sp.agentPools)
		case lk == "networkprofile":
			err = json.Unmarshal(raw, &sp.networkProfile)
		case lk == "apiserveraccessprofile":
			if string(bytes.TrimSpace(raw)) != "null" {
				sp.accessSet = true
				err = json.Unmarshal(raw, &sp.access)
			}
		default:
			sp.extra[k] = raw
		}
		if err != nil {
			return nil, arm.InvalidRequestContent(fmt.Errorf("properties.%s: %w", k, err))
		}
	}
	// AKS takes one of the two (Azure's API requires them mutually
	// exclusive: az's "--dns-name-prefix and --fqdn-subdomain cannot be
	// used at same time", azure-cli PR 17430; terraform-azurerm-avm PR 167).
	if sp.dnsPrefix != "" && extraString(sp.extra, "fqdnSubdomain") != "" {
		return nil, &arm.Error{Status: http.StatusBadRequest, Code: "InvalidParameter", Target: "properties.fqdnSubdomain",
			Message: "dnsPrefix and fqdnSubdomain cannot both be specified; give one of them."}
	}
	return sp, nil
}

// setDefault sets m[k] when it is absent, null or "".
func setDefault(m map[string]any, k string, v any) {
	if cur, ok := m[k]; !ok || cur == nil || cur == "" {
		m[k] = v
	}
}

// sanitizeProperties applies the field policy (sanitizeCluster) to a
// request's properties: what the server computes, ignores or must not keep
// is removed before anything else reads the body.
func sanitizeProperties(props map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	body := map[string]any{}
	generic := map[string]any{}
	for k, raw := range props {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, arm.InvalidRequestContent(fmt.Errorf("properties.%s: %w", k, err))
		}
		generic[k] = v
	}
	body["properties"] = generic
	sanitizeCluster(body)
	out := make(map[string]json.RawMessage, len(generic))
	for k, v := range generic {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, arm.InvalidRequestContent(fmt.Errorf("properties.%s: %w", k, err))
		}
		out[k] = b
	}
	return out, nil
}

// clusterJSON is the ARM ManagedCluster body of a stored cluster, encoded
// under the field policy (encodeCluster): every body that carries a
// cluster is built here, so none can leak a secret or miss a computed
// property.
func clusterJSON(mc *state.ManagedCluster, etag string) map[string]any {
	props := map[string]any{}
	for k, v := range mc.Extra {
		props[k] = v
	}
	setDefault(props, "enableRBAC", true)
	np := networkJSON(mc)
	pools := defaultPools(mc.AgentPools, mc.KubernetesVersion, np)
	for i, p := range pools {
		p = poolProperties(mc, p)
		if etag != "" {
			p["eTag"] = etag
		}
		pools[i] = p
	}
	maps.Copy(props, map[string]any{
		"provisioningState":        mc.ProvisioningState,
		"powerState":               map[string]any{"code": powerCode(mc)},
		"kubernetesVersion":        mc.KubernetesVersion,
		"currentKubernetesVersion": currentVersion(mc.KubernetesVersion),
		"agentPoolProfiles":        pools,
		"networkProfile":           np,
		"nodeResourceGroup":        mc.NodeResourceGroup,
		"maxAgentPools":            maxAgentPools,
		"apiServerAccessProfile":   accessJSON(mc),
		"tagwallStatus":            statusJSON(mc),
	})
	setNames(mc, props)
	identity := identityJSON(mc)
	if identity != nil {
		kubeletRID := "/subscriptions/" + mc.Subscription + "/resourcegroups/" + mc.NodeResourceGroup +
			"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + mc.Name + "-agentpool"
		props["identityProfile"] = map[string]any{"kubeletidentity": map[string]any{
			"resourceId": kubeletRID, "clientId": mc.KubeletID, "objectId": mc.KubeletID}}
		if _, given := props["servicePrincipalProfile"]; !given {
			props["servicePrincipalProfile"] = map[string]any{"clientId": "msi"}
		}
	}
	sku := json.RawMessage(`{"name":"Base","tier":"Free"}`)
	if len(mc.SKU) > 0 && string(mc.SKU) != "null" {
		sku = mc.SKU
	}
	body := map[string]any{
		"id":   arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name),
		"name": mc.Name, "type": "Microsoft.ContainerService/ManagedClusters", "location": mc.Location,
		"sku": sku, "properties": props,
	}
	if identity != nil {
		body["identity"] = identity
	}
	if etag != "" {
		body["eTag"] = etag
	}
	if mc.Tags != nil {
		body["tags"] = mc.Tags
	}
	return encodeCluster(mc, body)
}

// setNames sets dnsPrefix, fqdn, azurePortalFQDN and privateFQDN as AKS
// does: a cluster created with fqdnSubdomain has no dnsPrefix and no
// public name, and a private cluster has a public name only with
// enablePrivateClusterPublicFQDN.
func setNames(mc *state.ManagedCluster, props map[string]any) {
	subdomain := extraString(mc.Extra, "fqdnSubdomain") != ""
	public := !subdomain && (!mc.Access.EnablePrivateCluster ||
		(mc.Access.EnablePrivateClusterPublicFQDN != nil && *mc.Access.EnablePrivateClusterPublicFQDN))
	if !subdomain {
		props["dnsPrefix"] = mc.DNSPrefix
	}
	if public {
		props["fqdn"] = mc.FQDN
		label, rest, _ := strings.Cut(mc.FQDN, ".")
		props["azurePortalFQDN"] = label + ".portal." + rest // AKS: <prefix>-<hex>.portal.hcp.<location>.azmk8s.io
	}
	if mc.Access.EnablePrivateCluster {
		props["privateFQDN"] = privateFQDN(mc)
	}
}

func accessJSON(mc *state.ManagedCluster) map[string]any {
	access := map[string]any{"enablePrivateCluster": mc.Access.EnablePrivateCluster}
	if len(mc.Access.AuthorizedIPRanges) > 0 {
		access["authorizedIPRanges"] = mc.Access.AuthorizedIPRanges
	}
	if mc.Access.EnableVnetIntegration {
		access["enableVnetIntegration"] = true
	}
	if mc.Access.SubnetID != "" {
		access["subnetId"] = mc.Access.SubnetID
	}
	if mc.Access.PrivateDNSZone != "" {
		access["privateDNSZone"] = mc.Access.PrivateDNSZone
	} else if mc.Access.EnablePrivateCluster {
		access["privateDNSZone"] = "system"
	}
	if mc.Access.EnablePrivateClusterPublicFQDN != nil {
		access["enablePrivateClusterPublicFQDN"] = *mc.Access.EnablePrivateClusterPublicFQDN
	}
	if mc.Access.DisableRunCommand != nil {
		access["disableRunCommand"] = *mc.Access.DisableRunCommand
	}
	return access
}

func statusJSON(mc *state.ManagedCluster) map[string]any {
	status := map[string]any{"degraded": mc.Status.Degraded, "enforcedServiceTags": mc.Status.EnforcedServiceTags}
	if mc.Status.Message != "" {
		status["message"] = mc.Status.Message
	}
	if mc.Status.EnforcedServiceTags == nil {
		status["enforcedServiceTags"] = map[string]int64{}
	}
	return status
}

// encodeCluster is the one encoder of a cluster body: it turns the body
// into plain JSON values and applies the field policy's output side
// (scrubCluster), whatever the body was built from.
func encodeCluster(mc *state.ManagedCluster, body map[string]any) map[string]any {
	out := deepCopy(body)
	if out == nil {
		out = map[string]any{}
	}
	if props := obj(out, "properties"); props != nil {
		defaultProfiles(mc, props)
	}
	scrubCluster(out)
	return out
}

// currentVersion is the patch version a cluster runs for the version it
// asked for: a minor alias ("1.32") resolves to the newest patch, anything
// else (a patch version, or one that has left the list) is itself.
func currentVersion(v string) string {
	if p, ok := aksref.ResolveKubernetesVersion(v); ok {
		return p
	}
	return v
}

// poolProperties is one agent pool as the cluster's agentPoolProfiles
// and the agentPools sub-resource show it: the stored fields plus the
// server's read-only ones.
func poolProperties(mc *state.ManagedCluster, p map[string]any) map[string]any {
	q := maps.Clone(p)
	q["provisioningState"] = mc.ProvisioningState
	q["powerState"] = map[string]any{"code": powerCode(mc)}
	q["currentOrchestratorVersion"] = q["orchestratorVersion"]
	if v, ok := q["orchestratorVersion"].(string); ok {
		q["currentOrchestratorVersion"] = currentVersion(v)
	}
	q["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202501.01.0"
	return q
}

// powerCode is properties.powerState.code: Running or Stopped.
func powerCode(mc *state.ManagedCluster) string {
	if mc.Stopped() {
		return state.PowerStopped
	}
	return state.PowerRunning
}

// etagOf is the entity tag of a record at revision rev.
func etagOf(rev int64) string { return fmt.Sprintf("%d", rev) }

// checkPreconditions applies If-Match / If-None-Match to a resource whose
// current revision is rev (0: absent).
func checkPreconditions(r *http.Request, rev int64) error {
	fail := arm.Errorf(http.StatusPreconditionFailed, "PreconditionFailed", "The condition specified by the If-Match or If-None-Match header was not met.")
	if m := r.Header.Get("If-Match"); m != "" {
		if rev == 0 || (m != "*" && normETag(m) != etagOf(rev)) {
			return fail
		}
	}
	if m := r.Header.Get("If-None-Match"); m != "" {
		if rev != 0 && (m == "*" || normETag(m) == etagOf(rev)) {
			return fail
		}
	}
	return nil
}

func normETag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}
