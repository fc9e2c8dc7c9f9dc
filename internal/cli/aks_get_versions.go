package cli

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// apiKubernetesVersions is the api-version of
// ManagedClusters_ListKubernetesVersions, the first stable one that has it.
const apiKubernetesVersions = "2023-04-01"

// aksGetVersionsArgs are the flags of `aks get-versions`.
type aksGetVersionsArgs struct {
	location string
}

func newAksGetVersionsCmd(a *app) *cobra.Command {
	var args aksGetVersionsArgs
	c := a.command(&cobra.Command{Use: "get-versions", Short: "Get the Kubernetes versions available in a location"}, versionsTable,
		func(ctx context.Context) (any, error) { return a.runAksGetVersions(ctx, args) })
	c.Flags().StringVarP(&args.location, "location", "l", "", "Location, e.g. eastus")
	return c
}

// runAksGetVersions is `aks get-versions -l L`: GET
// …/locations/{L}/kubernetesVersions, printed as az prints
// KubernetesVersionListResult.
func (a *app) runAksGetVersions(ctx context.Context, args aksGetVersionsArgs) (any, error) {
	if err := a.required("--location/-l"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	path := cl.sub() + "/providers/Microsoft.ContainerService/locations/" + url.PathEscape(args.location) + "/kubernetesVersions"
	v, err := cl.getJSON(ctx, path, apiKubernetesVersions)
	return versionListSchema.apply(v), err
}

// versionListSchema is KubernetesVersionListResult as az prints it.
var versionListSchema = &schema{
	fields: []string{"values"},
	children: map[string]*schema{"values": {
		fields:   []string{"capabilities", "isDefault", "isPreview", "patchVersions", "version"},
		children: map[string]*schema{"capabilities": {fields: []string{"supportPlan"}}},
		mapOf:    map[string]*schema{"patchVersions": {fields: []string{"upgrades"}}},
	}},
}

// versionsTable is az's aks_versions_table_format: one row per patch
// version (flatten_version_table), newest first.
func versionsTable(v any) any {
	var rows []row
	var keys []string
	releases, _ := lookupPath(v, "values").([]any)
	for _, rel := range releases {
		patches, _ := lookupPath(rel, "patchVersions").(map[string]any)
		plans := stringsOf(lookupPath(rel, "capabilities.supportPlan"))
		isPreview := lookupPath(rel, "isPreview")
		for _, k := range sortedKeys(patches) {
			ups := stringsOf(lookupPath(patches[k], "upgrades"))
			rows = append(rows, row{
				{"KubernetesVersion", k},
				{"IsPreview", isPreview},
				{"Upgrades", joinVersions(ups, nil)},
				{"SupportPlan", strings.Join(plans, ", ")},
			})
			keys = append(keys, k)
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return versionLess(keys[idx[j]], keys[idx[i]]) })
	out := make([]row, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// joinVersions is az's `|| ['None available'] | sort_versions(@) |
// set_preview_array(@) | join(', ', @)`.
func joinVersions(vs []string, preview map[string]bool) string {
	if len(vs) == 0 {
		return "None available"
	}
	s := append([]string(nil), vs...)
	sort.SliceStable(s, func(i, j int) bool { return versionLess(s[i], s[j]) })
	for i, v := range s {
		if preview[v] {
			s[i] = v + "(preview)"
		}
	}
	return strings.Join(s, ", ")
}

// versionLess is az's version_to_tuple order; versions that are not
// dotted integers keep their order (az's sort_versions gives up).
func versionLess(a, b string) bool {
	pa, oka := versionTuple(a)
	pb, okb := versionTuple(b)
	if !oka || !okb {
		return false
	}
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}

func versionTuple(v string) ([]int, bool) {
	v = strings.TrimSuffix(v, "(preview)")
	parts := strings.Split(v, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}
