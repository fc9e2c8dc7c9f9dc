package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

// API versions of the version endpoints. kubernetesVersions
// (ManagedClusters_ListKubernetesVersions) first appears in 2023-04-01;
// az 2.45's `aks get-versions` asks the older orchestrators list with
// the container_services profile's 2019-04-01 (azure-mgmt-containerservice
// v2017_07_01 list_orchestrators, resource-type=managedClusters).
var (
	kubernetesVersionsVersions = append([]string{"2023-04-01", "2023-05-01", "2023-06-01", "2023-07-01", "2023-10-01",
		"2024-01-01"}, arm.ManagedClustersVersions...)
	orchestratorsVersions = append([]string{"2017-09-30", "2019-04-01", "2019-08-01", "2020-09-01", "2021-03-01",
		"2021-05-01", "2022-04-01"}, arm.ManagedClustersVersions...)
)

func (s *server) registerVersions() {
	const loc = "subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/"
	s.add(http.MethodGet, loc+"kubernetesVersions", kubernetesVersionsVersions, s.listKubernetesVersions)
	s.add(http.MethodGet, loc+"orchestrators", orchestratorsVersions, s.listOrchestrators)
	s.add(http.MethodGet, clusterPath+"/upgradeProfiles/default", arm.ManagedClustersVersions, s.getUpgradeProfile)
	s.add(http.MethodGet, clusterPath+"/agentPools/{pool}/upgradeProfiles/default", arm.ManagedClustersVersions, s.getPoolUpgradeProfile)
}

// clusterPath is the route pattern of one managed cluster.
const clusterPath = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"

// upgradesFrom lists the versions a cluster on patch v may move to, as
// AKS allows: a newer patch of its minor or any patch of the next minor
// (minors are never skipped). A version off the list has none.
func upgradesFrom(v string) []string {
	all := aksref.KubernetesVersions()
	var out []string
	for i, kv := range all {
		j := slices.Index(kv.Patches, v)
		if j < 0 {
			continue
		}
		out = append(out, kv.Patches[j+1:]...)
		if i+1 < len(all) {
			out = append(out, all[i+1].Patches...)
		}
	}
	return out
}

// checkLocationKnown refuses a {loc} segment outside the server's set
// with ARM's answer for a type not offered there: 400
// NoRegisteredProviderFound "No registered resource provider found for
// location 'x' and API version 'v' for type 'locations/orchestrators'. The
// supported api-versions are '…'. The supported locations are '…'." (the
// form ARM gives, e.g. in hashicorp/terraform-provider-azurerm reports).
func (s *server) checkLocationKnown(c *call, typ string, versions []string) error {
	if s.locations.Contains(c.v("loc")) {
		return nil
	}
	return arm.Errorf(http.StatusBadRequest, "NoRegisteredProviderFound",
		"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
		arm.Printable(c.v("loc")), c.apiVersion, typ, strings.Join(versions, ", "), strings.Join(s.locations.Names(), ", "))
}

// listKubernetesVersions answers GET …/locations/{loc}/kubernetesVersions
// (KubernetesVersionListResult): one value per minor with its patches and
// their upgrades; the minor of the default version is isDefault.
func (s *server) listKubernetesVersions(c *call) error {
	if err := s.checkLocationKnown(c, "locations/kubernetesVersions", kubernetesVersionsVersions); err != nil {
		return err
	}
	def, _ := aksref.ResolveKubernetesVersion(s.cfg.DefaultKubernetesVersion)
	values := []map[string]any{}
	for _, kv := range aksref.KubernetesVersions() {
		patches := map[string]any{}
		for _, p := range kv.Patches {
			patches[p] = map[string]any{"upgrades": nonNil(upgradesFrom(p))}
		}
		v := map[string]any{
			"version": kv.Minor, "isPreview": false, "patchVersions": patches,
			"capabilities": map[string]any{"supportPlan": []string{"KubernetesOfficial", "AKSLongTermSupport"}},
		}
		if slices.Contains(kv.Patches, def) {
			v["isDefault"] = true
		}
		values = append(values, v)
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"values": values})
	return nil
}

// listOrchestrators answers GET …/locations/{loc}/orchestrators
// (OrchestratorVersionProfileListResult, what az 2.45's aks get-versions
// reads): one Kubernetes orchestrator per patch version.
func (s *server) listOrchestrators(c *call) error {
	if err := s.checkLocationKnown(c, "locations/orchestrators", orchestratorsVersions); err != nil {
		return err
	}
	def, _ := aksref.ResolveKubernetesVersion(s.cfg.DefaultKubernetesVersion)
	orch := []map[string]any{}
	for _, kv := range aksref.KubernetesVersions() {
		for _, p := range kv.Patches {
			o := map[string]any{"orchestratorType": "Kubernetes", "orchestratorVersion": p, "isPreview": false}
			if p == def {
				o["default"] = true
			}
			if ups := upgradesFrom(p); len(ups) > 0 {
				l := make([]map[string]any, len(ups))
				for i, u := range ups {
					l[i] = map[string]any{"orchestratorType": "Kubernetes", "orchestratorVersion": u, "isPreview": false}
				}
				o["upgrades"] = l
			}
			orch = append(orch, o)
		}
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{
		"id":   "/subscriptions/" + c.v("sub") + "/providers/Microsoft.ContainerService/locations/" + c.v("loc") + "/orchestrators",
		"name": "default", "type": "Microsoft.ContainerService/locations/orchestrators",
		"properties": map[string]any{"orchestrators": orch},
	})
	return nil
}

// getUpgradeProfile answers GET …/managedClusters/{name}/upgradeProfiles/default
// (ManagedClusterUpgradeProfile): the control plane's and each pool's
// version and where they may go.
func (s *server) getUpgradeProfile(c *call) error {
	mc, _, err := s.existingCluster(c)
	if err != nil {
		return err
	}
	cur := currentVersion(mc.KubernetesVersion)
	pools := []map[string]any{}
	for _, p := range mc.AgentPools {
		v := cur
		if pv, ok := p["orchestratorVersion"].(string); ok && pv != "" {
			v = currentVersion(pv)
		}
		os, _ := p["osType"].(string)
		name, _ := p["name"].(string)
		pools = append(pools, map[string]any{"kubernetesVersion": v, "name": name, "osType": os, "upgrades": versionUpgrades(v)})
	}
	id := arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name) + "/upgradeprofiles/default"
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{
		"id": id, "name": "default", "type": "Microsoft.ContainerService/managedClusters/upgradeprofiles",
		"properties": map[string]any{
			"controlPlaneProfile": map[string]any{"kubernetesVersion": cur, "name": nil, "osType": "Linux", "upgrades": versionUpgrades(cur)},
			"agentPoolProfiles":   pools,
		},
	})
	return nil
}

// getPoolUpgradeProfile answers GET …/agentPools/{pool}/upgradeProfiles/default
// (AgentPoolUpgradeProfile, az aks nodepool get-upgrades).
func (s *server) getPoolUpgradeProfile(c *call) error {
	mc, i, err := s.existingPool(c)
	if err != nil {
		return err
	}
	p := poolProperties(&mc, mc.AgentPools[i])
	v, _ := p["currentOrchestratorVersion"].(string)
	name, _ := p["name"].(string)
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{
		"id":   arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name) + "/agentPools/" + name + "/upgradeProfiles/default",
		"name": "default", "type": "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles",
		"properties": map[string]any{"kubernetesVersion": v, "osType": p["osType"], "upgrades": versionUpgrades(v),
			"latestNodeImageVersion": p["nodeImageVersion"]},
	})
	return nil
}

// versionUpgrades is an upgrades list of the upgrade profile.
func versionUpgrades(v string) []map[string]any {
	ups := upgradesFrom(v)
	out := make([]map[string]any, len(ups))
	for i, u := range ups {
		out[i] = map[string]any{"kubernetesVersion": u, "isPreview": false}
	}
	return out
}

// existingCluster loads the group and the cluster of the path, with the
// cluster's revision: 404 ResourceGroupNotFound or ResourceNotFound when
// either is missing.
func (s *server) existingCluster(c *call) (state.ManagedCluster, int64, error) {
	if _, _, err := s.loadGroup(c); err != nil {
		return state.ManagedCluster{}, 0, err
	}
	mc, rev, err := s.loadCluster(c)
	if err != nil {
		return mc, 0, err
	}
	if rev == 0 {
		return mc, 0, s.notFound(c)
	}
	return mc, rev, nil
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
