package cli

import (
	"context"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// aksCreateArgs are the flags of `aks create`.
type aksCreateArgs struct {
	clusterArgs
	location, ranges, lbSKU, dnsPrefix string
	privateCluster, vnetIntegration    bool
	subnetID                           string
	tags                               []string
	tagsSet                            bool
	noWait                             bool
	nodeCount                          int
	vmSize, k8sVersion                 string
	networkPlugin, sshKey              string
}

// acceptedIgnored are common az aks create flags tagwall accepts and
// ignores, so the AKS docs' commands run unchanged.
var acceptedIgnored = []string{"generate-ssh-keys", "no-ssh-key", "enable-managed-identity"}

func newAksCreateCmd(a *app) *cobra.Command {
	var args aksCreateArgs
	c := &cobra.Command{Use: "create", Short: "Create a managed cluster"}
	a.command(c, clusterTable, func(ctx context.Context) (any, error) {
		args.tagsSet = c.Flags().Changed("tags")
		return a.runAksCreate(ctx, args)
	})
	clusterFlags(c, &args.clusterArgs)
	fl := c.Flags()
	fl.StringVarP(&args.location, "location", "l", "", "Location (default: the resource group's)")
	fl.StringVar(&args.ranges, "api-server-authorized-ip-ranges", "", "Comma-separated list of authorized apiserver IP ranges (service tags need the aks-preview extension)")
	fl.BoolVar(&args.privateCluster, "enable-private-cluster", false, "Create a private cluster")
	fl.BoolVar(&args.vnetIntegration, "enable-apiserver-vnet-integration", false, "Enable API server VNet integration")
	fl.StringVar(&args.subnetID, "apiserver-subnet-id", "", "Subnet for the API server (VNet integration)")
	fl.StringVar(&args.lbSKU, "load-balancer-sku", "standard", "Load balancer SKU: standard or basic")
	fl.StringVarP(&args.dnsPrefix, "dns-name-prefix", "p", "", "DNS prefix (default: built from name, group and subscription, as az)")
	fl.StringArrayVar(&args.tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	fl.BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	fl.IntVarP(&args.nodeCount, "node-count", "c", 3, "Number of nodes in the default pool")
	fl.StringVarP(&args.vmSize, "node-vm-size", "s", "Standard_DS2_v2", "Size of the nodes")
	fl.StringVarP(&args.k8sVersion, "kubernetes-version", "k", "", "Kubernetes version (default: the server's)")
	fl.StringVar(&args.networkPlugin, "network-plugin", "kubenet", "Network plugin")
	fl.StringVar(&args.sshKey, "ssh-key-value", "", "Public SSH key to put in linuxProfile")
	for _, n := range acceptedIgnored {
		fl.Bool(n, false, "Accepted and ignored (az compatibility)")
	}
	fl.BoolP("yes", "y", false, "Accepted and ignored (az compatibility)")
	fl.String("tier", "", "Accepted and ignored (az compatibility)")
	fl.StringSlice("zones", nil, "Accepted and ignored (az compatibility)")
	return c
}

// runAksCreate is `aks create`: the client-side range check (no HTTP when
// it fails), the group's location when -l is omitted, one PUT of az's
// body, then the long-running operation.
func (a *app) runAksCreate(ctx context.Context, args aksCreateArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	if args.ranges != "" {
		if err := a.checkRanges(args.ranges, args.privateCluster, args.lbSKU); err != nil {
			return nil, err
		}
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	location := args.location
	if location == "" {
		rg, err := cl.getJSON(ctx, cl.sub()+"/resourcegroups/"+args.group, apiResources)
		if err != nil {
			return nil, err
		}
		location, _ = lookupPath(rg, "location").(string)
	}
	body := createBody(args, location, cl.subscription)
	r, err := cl.do(ctx, http.MethodPut, cl.url(clusterPath(cl, args.clusterArgs), apiAKS), body)
	if err != nil {
		return nil, err
	}
	return a.finishLRO(ctx, cl, args.clusterArgs, args.noWait, r)
}

// createBody is the PUT body az sends for `aks create` (az-wire.md §6).
func createBody(f aksCreateArgs, location, sub string) map[string]any {
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
	if f.tagsSet {
		body["tags"] = parseTags(f.tags)
	}
	return body
}
