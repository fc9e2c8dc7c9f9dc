package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksGetUpgradesArgs are the flags of `aks get-upgrades`.
type aksGetUpgradesArgs struct {
	clusterArgs
}

func newAksGetUpgradesCmd(a *app) *cobra.Command {
	var args aksGetUpgradesArgs
	c := a.command(&cobra.Command{Use: "get-upgrades", Short: "Get the upgrade versions available for a managed cluster"}, upgradesTable,
		func(ctx context.Context) (any, error) { return a.runAksGetUpgrades(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	return c
}

// runAksGetUpgrades is `aks get-upgrades`: GET …/upgradeProfiles/default.
func (a *app) runAksGetUpgrades(ctx context.Context, args aksGetUpgradesArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, args.clusterArgs)+"/upgradeProfiles/default", apiAKS)
	if err != nil {
		return nil, err
	}
	out := upgradeProfileSchema.apply(v)
	if m, ok := out.(map[string]any); ok {
		if id, _ := m["id"].(string); id != "" {
			m["resourceGroup"] = nullIfEmpty(resourceGroupOf(id))
		}
	}
	return out, nil
}

// upgradeProfileSchema is ManagedClusterUpgradeProfile as az prints it.
var upgradeProfileSchema = func() *schema {
	pool := &schema{
		fields:   []string{"kubernetesVersion", "name", "osType", "upgrades"},
		children: map[string]*schema{"upgrades": {fields: []string{"isPreview", "kubernetesVersion"}}},
	}
	return &schema{
		flatten:  "properties",
		fields:   []string{"agentPoolProfiles", "controlPlaneProfile", "id", "name", "type"},
		children: map[string]*schema{"agentPoolProfiles": pool, "controlPlaneProfile": pool},
	}
}()

// upgradesTable is az's aks_upgrades_table_format: one row, the upgrades
// sorted as versions and marked "(preview)", or "None available".
func upgradesTable(v any) any {
	preview := map[string]bool{}
	var versions []string
	ups, _ := lookupPath(v, "controlPlaneProfile.upgrades").([]any)
	for _, u := range ups {
		k, _ := lookupPath(u, "kubernetesVersion").(string)
		if p, _ := lookupPath(u, "isPreview").(bool); p {
			preview[k] = true
		}
		versions = append(versions, k)
	}
	master, _ := lookupPath(v, "controlPlaneProfile.kubernetesVersion").(string)
	if master == "" {
		master = "unknown"
	}
	return []row{{
		{"Name", lookupPath(v, "name")},
		{"ResourceGroup", lookupPath(v, "resourceGroup")},
		{"MasterVersion", master},
		{"Upgrades", joinVersions(versions, preview)},
	}}
}
