package cli

import (
	"github.com/spf13/cobra"
)

// nodepoolArgs names one agent pool: --resource-group/-g, --cluster-name
// and --name/-n, as az aks nodepool does.
type nodepoolArgs struct {
	group, cluster, name string
}

// nodepoolFlags adds -g and --cluster-name, and --name/-n when withName.
func nodepoolFlags(c *cobra.Command, args *nodepoolArgs, withName bool) {
	c.Flags().StringVarP(&args.group, "resource-group", "g", "", "Name of the resource group")
	c.Flags().StringVar(&args.cluster, "cluster-name", "", "The cluster name")
	if withName {
		c.Flags().StringVarP(&args.name, "name", "n", "", "The node pool name")
	}
}

// requireNodepool is az's check of -g, --cluster-name and (withName) -n,
// in the order az declares them, then az's validate_nodepool_name.
func (a *app) requireNodepool(args nodepoolArgs, withName bool) error {
	if !withName {
		return a.required("--resource-group/-g", "--cluster-name")
	}
	if err := a.required("--resource-group/-g", "--cluster-name", "--name/-n"); err != nil {
		return err
	}
	return validateNodepoolName(args.name)
}

// validateNodepoolName is az's validate_nodepool_name (acs/_validators.py).
func validateNodepoolName(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > 12 {
		return userError("--nodepool-name can contain at most 12 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return userError("--nodepool-name should contain only alphanumeric characters")
		}
	}
	return nil
}

func agentPoolsPath(cl *client, args nodepoolArgs) string {
	return clusterPath(cl, clusterArgs{group: args.group, name: args.cluster}) + "/agentPools"
}

func agentPoolPath(cl *client, args nodepoolArgs) string {
	return agentPoolsPath(cl, args) + "/" + args.name
}

// agentPoolSchema is the AgentPool SDK model as az prints it: properties
// flattened, and properties.type renamed typePropertiesType because the
// model's type is the resource type (azure-mgmt-containerservice).
var agentPoolSchema = &schema{
	flatten: "properties",
	fields: []string{
		"availabilityZones", "capacityReservationGroupId", "count", "creationData",
		"currentOrchestratorVersion", "enableAutoScaling", "enableEncryptionAtHost", "enableFips",
		"enableNodePublicIp", "enableUltraSsd", "gpuInstanceProfile", "hostGroupId", "id",
		"kubeletConfig", "kubeletDiskType", "linuxOsConfig", "maxCount", "maxPods", "minCount",
		"mode", "name", "nodeImageVersion", "nodeLabels", "nodePublicIpPrefixId", "nodeTaints",
		"orchestratorVersion", "osDiskSizeGb", "osDiskType", "osSku", "osType", "podSubnetId",
		"powerState", "provisioningState", "proximityPlacementGroupId", "resourceGroup",
		"scaleDownMode", "scaleSetEvictionPolicy", "scaleSetPriority", "spotMaxPrice", "tags",
		"type", "typePropertiesType", "upgradeSettings", "vmSize", "vnetSubnetId", "workloadRuntime",
	},
	raw: map[string]bool{"tags": true, "nodeLabels": true},
}

// azAgentPool converts an AgentPool REST body into az's printed form.
func azAgentPool(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if t, ok := props["type"]; ok {
			props = cloneObject(props)
			delete(props, "type")
			props["typePropertiesType"] = t
			m = cloneObject(m)
			m["properties"] = props
		}
	}
	out := agentPoolSchema.applyWith(m, clusterKeys)
	if om, ok := out.(map[string]any); ok {
		if id, _ := om["id"].(string); id != "" {
			om["resourceGroup"] = nullIfEmpty(resourceGroupOf(id))
		}
	}
	return out
}

func azAgentPools(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = azAgentPool(v)
	}
	return out
}

func cloneObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// agentPoolTable is az's aks_agentpool_{list,show}_table_format. az's
// expression also asks for osDiskSizeGB, which the printed model spells
// osDiskSizeGb: the column is always empty there and knack drops it, so it
// is left out here.
var agentPoolTable = columns(
	"Name=name", "OsType=osType", "KubernetesVersion=orchestratorVersion", "VmSize=vmSize",
	"Count=count", "MaxPods=maxPods", "ProvisioningState=provisioningState", "Mode=mode",
)
