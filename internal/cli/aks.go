package cli

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/rangespec"
)

// aksFlags are the flags of `aks create` and `aks update`.
type aksFlags struct {
	group, name, location    string
	ranges                   string
	privateCluster           bool
	disablePrivateCluster    bool
	vnetIntegration          bool
	subnetID                 string
	lbSKU                    string
	dnsPrefix                string
	tags                     []string
	noWait, yes              bool
	nodeCount                int
	vmSize, k8sVersion       string
	networkPlugin, sshKey    string
	admin, overwriteExisting bool
	file, context            string
}

func newAKSCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "aks", Short: "Manage managed clusters (az aks)"}
	f := &aksFlags{}
	idFlags := func(c *cobra.Command) {
		c.Flags().StringVarP(&f.group, "resource-group", "g", "", "Name of the resource group")
		c.Flags().StringVarP(&f.name, "name", "n", "", "Name of the managed cluster")
	}
	create := &cobra.Command{Use: "create", Short: "Create a managed cluster", RunE: a.run(clusterTable,
		func(ctx context.Context, c *cobra.Command) (any, error) { return a.aksCreate(ctx, c, f) })}
	idFlags(create)
	addCreateFlags(create, f)
	update := &cobra.Command{Use: "update", Short: "Update a managed cluster (client-side GET, modify, full PUT)", RunE: a.run(clusterTable,
		func(ctx context.Context, c *cobra.Command) (any, error) { return a.aksUpdate(ctx, c, f) })}
	idFlags(update)
	addUpdateFlags(update, f)
	show := &cobra.Command{Use: "show", Short: "Show a managed cluster", RunE: a.run(clusterTable,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--name/-n", "--resource-group/-g"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			v, err := cl.getJSON(ctx, clusterPath(cl, f), apiAKS)
			return azCluster(v), err
		})}
	idFlags(show)
	list := &cobra.Command{Use: "list", Short: "List managed clusters", RunE: a.run(clusterTable,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			path := cl.sub() + "/providers/Microsoft.ContainerService/managedClusters"
			if f.group != "" {
				path = cl.sub() + "/resourceGroups/" + f.group + "/providers/Microsoft.ContainerService/managedClusters"
			}
			vals, err := cl.listValues(ctx, path, apiAKS)
			return azClusters(vals), err
		})}
	list.Flags().StringVarP(&f.group, "resource-group", "g", "", "Name of the resource group")
	del := &cobra.Command{Use: "delete", Short: "Delete a managed cluster", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) { return a.aksDelete(ctx, c, f) })}
	idFlags(del)
	del.Flags().BoolVarP(&f.yes, "yes", "y", false, "Do not prompt for confirmation")
	del.Flags().BoolVar(&f.noWait, "no-wait", false, "Do not wait for the operation to finish")
	creds := &cobra.Command{Use: "get-credentials", Short: "Merge the cluster's kubeconfig into a file", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) { return a.aksGetCredentials(ctx, c, f) })}
	idFlags(creds)
	creds.Flags().StringVarP(&f.file, "file", "f", "", `Kubeconfig file to update ("-" prints to stdout; default ~/.kube/config)`)
	creds.Flags().BoolVarP(&f.admin, "admin", "a", false, "Get cluster administrator credentials")
	creds.Flags().BoolVar(&f.overwriteExisting, "overwrite-existing", false, "Overwrite any existing entry with the same name")
	creds.Flags().StringVar(&f.context, "context", "", "Use this context name instead of the cluster's")
	g.AddCommand(create, update, show, list, del, creds)
	return g
}

// acceptedIgnored are common az aks create flags tagwall accepts and
// ignores, so the AKS docs' commands run unchanged.
var acceptedIgnored = []string{"generate-ssh-keys", "no-ssh-key", "enable-managed-identity", "yes"}

func addCreateFlags(c *cobra.Command, f *aksFlags) {
	fl := c.Flags()
	fl.StringVarP(&f.location, "location", "l", "", "Location (default: the resource group's)")
	fl.StringVar(&f.ranges, "api-server-authorized-ip-ranges", "", "Comma-separated list of authorized apiserver IP ranges (service tags need the aks-preview extension)")
	fl.BoolVar(&f.privateCluster, "enable-private-cluster", false, "Create a private cluster")
	fl.BoolVar(&f.vnetIntegration, "enable-apiserver-vnet-integration", false, "Enable API server VNet integration")
	fl.StringVar(&f.subnetID, "apiserver-subnet-id", "", "Subnet for the API server (VNet integration)")
	fl.StringVar(&f.lbSKU, "load-balancer-sku", "standard", "Load balancer SKU: standard or basic")
	fl.StringVarP(&f.dnsPrefix, "dns-name-prefix", "p", "", "DNS prefix (default: built from name, group and subscription, as az)")
	fl.StringArrayVar(&f.tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	fl.BoolVar(&f.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	fl.IntVarP(&f.nodeCount, "node-count", "c", 3, "Number of nodes in the default pool")
	fl.StringVarP(&f.vmSize, "node-vm-size", "s", "Standard_DS2_v2", "Size of the nodes")
	fl.StringVarP(&f.k8sVersion, "kubernetes-version", "k", "", "Kubernetes version (default: the server's)")
	fl.StringVar(&f.networkPlugin, "network-plugin", "kubenet", "Network plugin")
	fl.StringVar(&f.sshKey, "ssh-key-value", "", "Public SSH key to put in linuxProfile")
	for _, n := range acceptedIgnored {
		if n == "yes" {
			fl.BoolP(n, "y", false, "Accepted and ignored (az compatibility)")
			continue
		}
		fl.Bool(n, false, "Accepted and ignored (az compatibility)")
	}
	fl.String("tier", "", "Accepted and ignored (az compatibility)")
	fl.StringSlice("zones", nil, "Accepted and ignored (az compatibility)")
}

func addUpdateFlags(c *cobra.Command, f *aksFlags) {
	fl := c.Flags()
	fl.StringVar(&f.ranges, "api-server-authorized-ip-ranges", "", `Replace the authorized ranges ("" disables)`)
	fl.BoolVar(&f.privateCluster, "enable-private-cluster", false, "Make the cluster private (needs --enable-apiserver-vnet-integration)")
	fl.BoolVar(&f.disablePrivateCluster, "disable-private-cluster", false, "Make the cluster public (needs --enable-apiserver-vnet-integration)")
	fl.BoolVar(&f.vnetIntegration, "enable-apiserver-vnet-integration", false, "Enable API server VNet integration")
	fl.StringVar(&f.subnetID, "apiserver-subnet-id", "", "Subnet for the API server (VNet integration)")
	fl.StringArrayVar(&f.tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	fl.BoolVar(&f.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	fl.BoolP("yes", "y", false, "Accepted and ignored (az compatibility)")
}

func clusterPath(cl *client, f *aksFlags) string {
	return cl.sub() + "/resourceGroups/" + f.group + "/providers/Microsoft.ContainerService/managedClusters/" + f.name
}

// checkRanges is the client-side check of --api-server-authorized-ip-ranges:
// rangespec's core-az rules, or aks-preview's once that extension is added.
func (a *app) checkRanges(value string, private bool, lbSKU string) error {
	preview, err := a.previewInstalled()
	if err != nil {
		return userError("%v", err)
	}
	mode := rangespec.ModeCLI
	if preview {
		mode = rangespec.ModePreviewCLI
	}
	_, err = rangespec.ParseString(value, rangespec.Options{Mode: mode, PrivateCluster: private, LoadBalancerSKU: lbSKU})
	if err == nil {
		return nil
	}
	if re := rangespec.FirstError(err); re != nil {
		return &cliError{code: 1, msg: re.Message, err: err}
	}
	return &cliError{code: 1, msg: err.Error(), err: err}
}

// splitRanges is az's normalisation: "" → [], else the stripped items.
func splitRanges(v string) []any {
	out := []any{}
	if v == "" {
		return out
	}
	for _, s := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// parseTags is az's --tags: each value is "key[=value]", several may be
// given space-separated or by repeating the flag; "" alone clears.
func parseTags(vals []string) map[string]any {
	tags := map[string]any{}
	for _, v := range vals {
		for _, t := range strings.Fields(v) {
			k, val, _ := strings.Cut(t, "=")
			tags[k] = val
		}
	}
	return tags
}

var dnsUnsafe = regexp.MustCompile(`[^A-Za-z0-9-]`)

// defaultDNSPrefix is az's _get_default_dns_prefix.
func defaultDNSPrefix(name, group, sub string) string {
	np := dnsUnsafe.ReplaceAllString(name, "")
	if len(np) > 10 {
		np = np[:10]
	}
	if np == "" || !isASCIILetter(np[0]) {
		np = "a" + np
		if len(np) > 10 {
			np = np[:10]
		}
	}
	rp := dnsUnsafe.ReplaceAllString(group, "")
	if len(rp) > 16 {
		rp = rp[:16]
	}
	if len(sub) > 6 {
		sub = sub[:6]
	}
	return np + "-" + rp + "-" + sub
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// finishLRO follows the operation r started (unless --no-wait) and prints
// the cluster: the final GET after an asynchronous operation, or the PUT
// answer when it completed synchronously.
func (a *app) finishLRO(ctx context.Context, c *cobra.Command, cl *client, f *aksFlags, r *response) (any, error) {
	if f.noWait {
		return nil, nil
	}
	if r.header.Get("Azure-AsyncOperation") == "" && r.header.Get("Location") == "" {
		v, err := r.decode()
		return azCluster(v), err
	}
	if err := a.poller(c, cl).wait(ctx, r); err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, f), apiAKS)
	return azCluster(v), err
}

func (a *app) aksDelete(ctx context.Context, c *cobra.Command, f *aksFlags) (any, error) {
	if err := required(c, "--name/-n", "--resource-group/-g"); err != nil {
		return nil, err
	}
	if !f.yes {
		return nil, errNoTTYConfirm
	}
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodDelete, cl.url(clusterPath(cl, f), apiAKS), nil)
	if err != nil || f.noWait {
		return nil, err
	}
	return nil, a.poller(c, cl).wait(ctx, r)
}
