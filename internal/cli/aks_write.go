package cli

import (
	"context"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// aksCreate is `aks create`: the client-side range check (no HTTP when it
// fails), the group's location when -l is omitted, one PUT of az's body,
// then the long-running operation.
func (a *app) aksCreate(ctx context.Context, c *cobra.Command, f *aksFlags) (any, error) {
	if err := required(c, "--name/-n", "--resource-group/-g"); err != nil {
		return nil, err
	}
	if f.ranges != "" {
		if err := a.checkRanges(f.ranges, f.privateCluster, f.lbSKU); err != nil {
			return nil, err
		}
	}
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	location := f.location
	if location == "" {
		rg, err := cl.getJSON(ctx, cl.sub()+"/resourcegroups/"+f.group, apiResources)
		if err != nil {
			return nil, err
		}
		location, _ = lookupPath(rg, "location").(string)
	}
	body := a.createBody(c, f, location, cl.subscription)
	r, err := cl.do(ctx, http.MethodPut, cl.url(clusterPath(cl, f), apiAKS), body)
	if err != nil {
		return nil, err
	}
	return a.finishLRO(ctx, c, cl, f, r)
}

// createBody is the PUT body az sends for `aks create` (az-wire.md §6).
func (a *app) createBody(c *cobra.Command, f *aksFlags, location, sub string) map[string]any {
	dns := f.dnsPrefix
	if dns == "" {
		dns = defaultDNSPrefix(f.name, f.group, sub)
	}
	pool := map[string]any{
		"name": "nodepool1", "count": f.nodeCount, "vmSize": f.vmSize, "osDiskSizeGB": 0,
		"osType": "Linux", "enableAutoScaling": false, "type": "VirtualMachineScaleSets",
		"mode": "System", "orchestratorVersion": f.k8sVersion, "upgradeSettings": map[string]any{},
		"enableNodePublicIP": false, "scaleSetPriority": "Regular", "scaleSetEvictionPolicy": "Delete",
		"spotMaxPrice": -1.0, "nodeTaints": []any{}, "enableEncryptionAtHost": false,
		"enableUltraSSD": false, "enableFIPS": false,
	}
	access := map[string]any{"authorizedIPRanges": splitRanges(f.ranges)}
	if f.privateCluster {
		access["enablePrivateCluster"] = true
	}
	if f.vnetIntegration {
		access["enableVnetIntegration"] = true
	}
	if f.subnetID != "" {
		access["subnetId"] = f.subnetID
	}
	props := map[string]any{
		"kubernetesVersion": f.k8sVersion, "dnsPrefix": dns,
		"agentPoolProfiles": []any{pool}, "addonProfiles": map[string]any{}, "enableRBAC": true,
		"networkProfile": map[string]any{
			"networkPlugin": f.networkPlugin, "podCidr": "10.244.0.0/16", "serviceCidr": "10.0.0.0/16",
			"dnsServiceIP": "10.0.0.10", "dockerBridgeCidr": "172.17.0.1/16",
			"outboundType": "loadBalancer", "loadBalancerSku": strings.ToLower(f.lbSKU),
		},
		"apiServerAccessProfile": access,
		"disableLocalAccounts":   false, "storageProfile": map[string]any{},
	}
	if f.sshKey != "" {
		props["linuxProfile"] = map[string]any{"adminUsername": "azureuser",
			"ssh": map[string]any{"publicKeys": []any{map[string]any{"keyData": f.sshKey}}}}
	}
	body := map[string]any{"location": location, "identity": map[string]any{"type": "SystemAssigned"}, "properties": props}
	if c.Flags().Changed("tags") {
		body["tags"] = parseTags(f.tags)
	}
	return body
}

// updateFlagNames are the flags `aks update` acts on; at least one is needed.
var updateFlagNames = []string{"api-server-authorized-ip-ranges", "tags", "enable-apiserver-vnet-integration",
	"apiserver-subnet-id", "enable-private-cluster", "disable-private-cluster"}

// aksUpdate is `aks update`: GET, modify, full PUT. A flag left out leaves
// its field unchanged; --api-server-authorized-ip-ranges "" disables the
// ranges and any other value replaces the whole list.
func (a *app) aksUpdate(ctx context.Context, c *cobra.Command, f *aksFlags) (any, error) {
	if err := required(c, "--name/-n", "--resource-group/-g"); err != nil {
		return nil, err
	}
	changed := func(n string) bool { return c.Flags().Changed(n) }
	anyChange := false
	for _, n := range updateFlagNames {
		anyChange = anyChange || changed(n)
	}
	if !anyChange {
		return nil, userError(`Please specify one or more of "--%s".`, strings.Join(updateFlagNames, `" or "--`))
	}
	setRanges := changed("api-server-authorized-ip-ranges")
	if setRanges && f.ranges != "" {
		if err := a.checkRanges(f.ranges, f.privateCluster, ""); err != nil {
			return nil, err
		}
	}
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, f), apiAKS)
	if err != nil {
		return nil, err
	}
	mc, _ := v.(map[string]any)
	if mc == nil {
		return nil, userError("get managed cluster %q: empty answer", f.name)
	}
	props := objectAt(mc, "properties")
	access := objectAt(props, "apiServerAccessProfile")
	existingPrivate, _ := access["enablePrivateCluster"].(bool)
	existingVnet, _ := access["enableVnetIntegration"].(bool)
	if setRanges && f.ranges != "" && existingPrivate && !f.privateCluster {
		if err := a.checkRanges(f.ranges, true, ""); err != nil {
			return nil, err
		}
	}
	if (f.privateCluster || f.disablePrivateCluster) && !f.vnetIntegration && !existingVnet {
		verb := "Enabling"
		if f.disablePrivateCluster {
			verb = "Disabling"
		}
		return nil, userError("%s private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).", verb)
	}
	applyUpdate(mc, access, f, changed)
	dropReadOnly(mc)
	r, err := cl.do(ctx, http.MethodPut, cl.url(clusterPath(cl, f), apiAKS), mc)
	if err != nil {
		return nil, err
	}
	return a.finishLRO(ctx, c, cl, f, r)
}

// applyUpdate changes the GET body as the update flags say; fields of
// flags not given stay as they are.
func applyUpdate(mc, access map[string]any, f *aksFlags, changed func(string) bool) {
	if changed("api-server-authorized-ip-ranges") {
		access["authorizedIPRanges"] = splitRanges(f.ranges)
	}
	if f.vnetIntegration {
		access["enableVnetIntegration"] = true
	}
	if changed("apiserver-subnet-id") {
		access["subnetId"] = f.subnetID
	}
	if f.privateCluster {
		access["enablePrivateCluster"] = true
	}
	if f.disablePrivateCluster {
		access["enablePrivateCluster"] = false
	}
	if changed("tags") {
		mc["tags"] = parseTags(f.tags)
	}
}

// objectAt returns m[k] as an object, creating it when absent.
func objectAt(m map[string]any, k string) map[string]any {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[k] = o
	return o
}

// dropReadOnly removes the read-only fields az's SDK leaves out when it
// re-serialises a GET for the PUT.
func dropReadOnly(mc map[string]any) {
	for _, k := range []string{"id", "name", "type", "systemData"} {
		delete(mc, k)
	}
	props, _ := mc["properties"].(map[string]any)
	for _, k := range []string{"provisioningState", "powerState", "maxAgentPools", "currentKubernetesVersion",
		"fqdn", "privateFQDN", "azurePortalFQDN"} {
		delete(props, k)
	}
	if id, ok := mc["identity"].(map[string]any); ok {
		delete(id, "principalId")
		delete(id, "tenantId")
	}
}
