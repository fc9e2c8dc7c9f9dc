package cli

import (
	"context"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// aksUpdateArgs are the flags of `aks update`; the *Set fields record
// which flags were given, as a flag left out leaves its field unchanged.
type aksUpdateArgs struct {
	clusterArgs
	ranges                                string
	privateCluster, disablePrivateCluster bool
	vnetIntegration                       bool
	subnetID                              string
	tags                                  []string
	noWait                                bool
	rangesSet, subnetSet, tagsSet, anySet bool
}

// updateFlagNames are the flags `aks update` acts on; at least one is needed.
var updateFlagNames = []string{"api-server-authorized-ip-ranges", "tags", "enable-apiserver-vnet-integration",
	"apiserver-subnet-id", "enable-private-cluster", "disable-private-cluster"}

func newAksUpdateCmd(a *app) *cobra.Command {
	var args aksUpdateArgs
	c := &cobra.Command{Use: "update", Short: "Update a managed cluster (client-side GET, modify, full PUT)"}
	a.command(c, clusterTable, func(ctx context.Context) (any, error) {
		fl := c.Flags()
		args.rangesSet, args.subnetSet, args.tagsSet = fl.Changed("api-server-authorized-ip-ranges"), fl.Changed("apiserver-subnet-id"), fl.Changed("tags")
		args.anySet = false
		for _, n := range updateFlagNames {
			args.anySet = args.anySet || fl.Changed(n)
		}
		return a.runAksUpdate(ctx, args)
	})
	clusterFlags(c, &args.clusterArgs)
	fl := c.Flags()
	fl.StringVar(&args.ranges, "api-server-authorized-ip-ranges", "", `Replace the authorized ranges ("" disables)`)
	fl.BoolVar(&args.privateCluster, "enable-private-cluster", false, "Make the cluster private (needs --enable-apiserver-vnet-integration)")
	fl.BoolVar(&args.disablePrivateCluster, "disable-private-cluster", false, "Make the cluster public (needs --enable-apiserver-vnet-integration)")
	fl.BoolVar(&args.vnetIntegration, "enable-apiserver-vnet-integration", false, "Enable API server VNet integration")
	fl.StringVar(&args.subnetID, "apiserver-subnet-id", "", "Subnet for the API server (VNet integration)")
	fl.StringArrayVar(&args.tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	fl.BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	fl.BoolP("yes", "y", false, "Accepted and ignored (az compatibility)")
	return c
}

// runAksUpdate is `aks update`: GET, modify, full PUT. A flag left out
// leaves its field unchanged; --api-server-authorized-ip-ranges "" disables
// the ranges and any other value replaces the whole list.
func (a *app) runAksUpdate(ctx context.Context, args aksUpdateArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	if !args.anySet {
		return nil, userError(`Please specify one or more of "--%s".`, strings.Join(updateFlagNames, `" or "--`))
	}
	if args.rangesSet && args.ranges != "" {
		if err := a.checkRanges(args.ranges, args.privateCluster, ""); err != nil {
			return nil, err
		}
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, args.clusterArgs), apiAKS)
	if err != nil {
		return nil, err
	}
	mc, _ := v.(map[string]any)
	if mc == nil {
		return nil, userError("get managed cluster %q: empty answer", args.name)
	}
	props := objectAt(mc, "properties")
	access := objectAt(props, "apiServerAccessProfile")
	existingPrivate, _ := access["enablePrivateCluster"].(bool)
	existingVnet, _ := access["enableVnetIntegration"].(bool)
	if args.rangesSet && args.ranges != "" && existingPrivate && !args.privateCluster {
		if err := a.checkRanges(args.ranges, true, ""); err != nil {
			return nil, err
		}
	}
	if (args.privateCluster || args.disablePrivateCluster) && !args.vnetIntegration && !existingVnet {
		verb := "Enabling"
		if args.disablePrivateCluster {
			verb = "Disabling"
		}
		return nil, userError("%s private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).", verb)
	}
	applyUpdate(mc, access, args)
	dropReadOnly(mc)
	r, err := cl.do(ctx, http.MethodPut, cl.url(clusterPath(cl, args.clusterArgs), apiAKS), mc)
	if err != nil {
		return nil, err
	}
	return a.finishLRO(ctx, cl, args.clusterArgs, args.noWait, r)
}

// applyUpdate changes the GET body as the update flags say; fields of
// flags not given stay as they are.
func applyUpdate(mc, access map[string]any, f aksUpdateArgs) {
	if f.rangesSet {
		access["authorizedIPRanges"] = splitRanges(f.ranges)
	}
	if f.vnetIntegration {
		access["enableVnetIntegration"] = true
	}
	if f.subnetSet {
		access["subnetId"] = f.subnetID
	}
	if f.privateCluster {
		access["enablePrivateCluster"] = true
	}
	if f.disablePrivateCluster {
		access["enablePrivateCluster"] = false
	}
	if f.tagsSet {
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
