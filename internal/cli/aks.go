package cli

import (
	"context"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/rangespec"
)

// clusterArgs names one managed cluster: --resource-group/-g and --name/-n.
type clusterArgs struct {
	group, name string
}

// clusterFlags adds --resource-group/-g and --name/-n.
func clusterFlags(c *cobra.Command, id *clusterArgs) {
	c.Flags().StringVarP(&id.group, "resource-group", "g", "", "Name of the resource group")
	c.Flags().StringVarP(&id.name, "name", "n", "", "Name of the managed cluster")
}

// requireCluster is az's check of -n and -g.
func (a *app) requireCluster() error { return a.required("--name/-n", "--resource-group/-g") }

func clusterPath(cl *client, id clusterArgs) string {
	return cl.sub() + "/resourceGroups/" + id.group + "/providers/Microsoft.ContainerService/managedClusters/" + id.name
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

// AuthorizedIPRanges is az's normalisation of
// --api-server-authorized-ip-ranges into the authorizedIPRanges it sends:
// "" → [] (disabled), else the comma-separated items stripped of white
// space, so "   " is sent as [""] (which AKS, and tagwall's API, take as
// disabled too). `tagwall check` parses a list through it, so it sees what
// the API will.
func AuthorizedIPRanges(value string) []string {
	out := []string{}
	if value == "" {
		return out
	}
	for _, s := range strings.Split(value, ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// splitRanges is AuthorizedIPRanges as a JSON array.
func splitRanges(v string) []any {
	items := AuthorizedIPRanges(v)
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
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

// finishLRO follows the operation r started (unless noWait) and returns
// the cluster: the final GET after an asynchronous operation, or the PUT
// answer when it completed synchronously.
func (a *app) finishLRO(ctx context.Context, cl *client, id clusterArgs, noWait bool, r *response) (any, error) {
	if noWait {
		return nil, nil
	}
	if r.header.Get("Azure-AsyncOperation") == "" && r.header.Get("Location") == "" {
		v, err := r.decode()
		return azCluster(v), err
	}
	if err := a.poller(cl).wait(ctx, r); err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, id), apiAKS)
	return azCluster(v), err
}
