package cli

// clusterKeys maps the REST keys of a ManagedCluster (api-version
// 2022-11-01 and later) to the keys az prints. az serialises the Python SDK
// model, whose attribute names camel-case acronyms as words
// (authorized_ip_ranges → authorizedIpRanges), so every REST key with an
// upper-case acronym is listed here. Keys of free-form dicts (tags, node
// labels, addon configs, identity maps) are never renamed.
var clusterKeys = map[string]string{
	// apiServerAccessProfile
	"authorizedIPRanges":             "authorizedIpRanges",
	"privateDNSZone":                 "privateDnsZone",
	"enablePrivateClusterPublicFQDN": "enablePrivateClusterPublicFqdn",
	// ManagedCluster properties
	"azurePortalFQDN": "azurePortalFqdn",
	"privateFQDN":     "privateFqdn",
	"enableRBAC":      "enableRbac",
	// agentPoolProfiles
	"osDiskSizeGB":               "osDiskSizeGb",
	"enableNodePublicIP":         "enableNodePublicIp",
	"nodePublicIPPrefixID":       "nodePublicIpPrefixId",
	"enableFIPS":                 "enableFips",
	"enableUltraSSD":             "enableUltraSsd",
	"vnetSubnetID":               "vnetSubnetId",
	"podSubnetID":                "podSubnetId",
	"proximityPlacementGroupID":  "proximityPlacementGroupId",
	"hostGroupID":                "hostGroupId",
	"capacityReservationGroupID": "capacityReservationGroupId",
	"enableCustomCATrust":        "enableCustomCaTrust",
	// networkProfile
	"dnsServiceIP": "dnsServiceIp",
	// aadProfile
	"enableAzureRBAC": "enableAzureRbac",
	"clientAppID":     "clientAppId",
	"serverAppID":     "serverAppId",
	"tenantID":        "tenantId",
	// windowsProfile
	"enableCSIProxy": "enableCsiProxy",
}

// apiServerAccessProfileFields are the az keys of
// ManagedClusterAPIServerAccessProfile, all printed (null when unset).
var apiServerAccessProfileFields = []string{
	"authorizedIpRanges", "disableRunCommand", "enablePrivateCluster",
	"enablePrivateClusterPublicFqdn", "enableVnetIntegration", "privateDnsZone", "subnetId",
}

// clusterSchema is the ManagedCluster model as az prints it. "tags" is not
// in fields: az drops it when null.
var clusterSchema = &schema{
	flatten: "properties",
	fields: []string{
		"aadProfile", "addonProfiles", "agentPoolProfiles", "apiServerAccessProfile",
		"autoScalerProfile", "autoUpgradeProfile", "azureMonitorProfile", "azurePortalFqdn",
		"currentKubernetesVersion", "disableLocalAccounts", "diskEncryptionSetId", "dnsPrefix",
		"enablePodSecurityPolicy", "enableRbac", "extendedLocation", "fqdn", "fqdnSubdomain",
		"httpProxyConfig", "id", "identity", "identityProfile", "kubernetesVersion",
		"linuxProfile", "location", "maxAgentPools", "name", "networkProfile",
		"nodeResourceGroup", "oidcIssuerProfile", "podIdentityProfile", "powerState",
		"privateFqdn", "privateLinkResources", "provisioningState", "publicNetworkAccess",
		"resourceGroup", "securityProfile", "servicePrincipalProfile", "sku", "storageProfile",
		"systemData", "type", "windowsProfile", "workloadAutoScalerProfile",
	},
	children: map[string]*schema{
		"apiServerAccessProfile": {fields: apiServerAccessProfileFields},
		"networkProfile": {fields: []string{
			"dnsServiceIp", "dockerBridgeCidr", "ipFamilies", "loadBalancerProfile",
			"loadBalancerSku", "natGatewayProfile", "networkMode", "networkPlugin",
			"networkPluginMode", "networkPolicy", "outboundType", "podCidr", "podCidrs",
			"serviceCidr", "serviceCidrs",
		}},
		"agentPoolProfiles": {
			fields: []string{
				"availabilityZones", "count", "creationData", "currentOrchestratorVersion",
				"enableAutoScaling", "enableEncryptionAtHost", "enableFips", "enableNodePublicIp",
				"enableUltraSsd", "gpuInstanceProfile", "hostGroupId", "kubeletConfig",
				"kubeletDiskType", "linuxOsConfig", "maxCount", "maxPods", "minCount", "mode",
				"name", "nodeImageVersion", "nodeLabels", "nodePublicIpPrefixId", "nodeTaints",
				"orchestratorVersion", "osDiskSizeGb", "osDiskType", "osSku", "osType",
				"podSubnetId", "powerState", "provisioningState", "proximityPlacementGroupId",
				"scaleDownMode", "scaleSetEvictionPolicy", "scaleSetPriority", "spotMaxPrice",
				"tags", "type", "upgradeSettings", "vmSize", "vnetSubnetId", "workloadRuntime",
			},
			raw: map[string]bool{"tags": true, "nodeLabels": true},
		},
		"identity": {
			fields: []string{"principalId", "tenantId", "type", "userAssignedIdentities"},
			raw:    map[string]bool{"userAssignedIdentities": true},
		},
		"servicePrincipalProfile": {fields: []string{"clientId", "secret"}},
		"sku":                     {fields: []string{"name", "tier"}},
	},
	mapOf: map[string]*schema{
		"addonProfiles":   {fields: []string{"config", "enabled", "identity"}, raw: map[string]bool{"config": true}},
		"identityProfile": {fields: []string{"clientId", "objectId", "resourceId"}},
	},
	raw: map[string]bool{"tags": true},
}

// azCluster converts a ManagedCluster REST body into az's printed form.
func azCluster(v any) any {
	out := clusterSchema.applyWith(v, clusterKeys)
	if m, ok := out.(map[string]any); ok {
		if id, _ := m["id"].(string); id != "" {
			if rg := resourceGroupOf(id); rg != "" {
				m["resourceGroup"] = rg
			}
		}
	}
	return out
}

func azClusters(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = azCluster(v)
	}
	return out
}

// clusterTable is az's aks list/show table transform.
var clusterTable = columns(
	"Name=name", "Location=location", "ResourceGroup=resourceGroup",
	"KubernetesVersion=kubernetesVersion", "CurrentKubernetesVersion=currentKubernetesVersion",
	"ProvisioningState=provisioningState", "Fqdn=fqdn",
)
