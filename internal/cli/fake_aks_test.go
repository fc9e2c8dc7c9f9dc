package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The fake's answers for the endpoints issue 13 adds to tagwall's server:
// kubernetesVersions, upgradeProfiles/default, agentPools, stop and start,
// in Azure's shapes (azure-rest-api-specs, Microsoft.ContainerService
// 2023-04-01 examples).

// clusterChild serves …/managedClusters/{name}/{child}[/{name}].
func (f *fakeARM) clusterChild(w http.ResponseWriter, r *http.Request, seg []string, key string, body []byte) {
	c, ok := f.clusters[key]
	if !ok {
		armErr(w, 404, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.ContainerService/managedClusters/%s' under resource group '%s' was not found.", seg[5], seg[1]))
		return
	}
	switch seg[6] {
	case "listclusterusercredential", "listclusteradmincredential":
		f.credentials(w, key, seg[6])
	case "upgradeprofiles":
		writeJSON(w, 200, map[string]any{
			"id":   c["id"].(string) + "/upgradeprofiles/default",
			"name": "default", "type": "Microsoft.ContainerService/managedClusters/upgradeprofiles",
			"properties": map[string]any{
				"controlPlaneProfile": map[string]any{"kubernetesVersion": "1.30.6", "osType": "Linux",
					"upgrades": []any{map[string]any{"kubernetesVersion": "1.31.1", "isPreview": true}, map[string]any{"kubernetesVersion": "1.30.10"}}},
				"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "kubernetesVersion": "1.30.6", "osType": "Linux",
					"upgrades": []any{map[string]any{"kubernetesVersion": "1.30.10"}}}},
			}})
	case "stop", "start":
		props := c["properties"].(map[string]any)
		props["powerState"] = map[string]any{"code": map[string]string{"stop": "Stopped", "start": "Running"}[seg[6]]}
		f.startOp(w, 202)
	case "agentpools":
		f.agentPools(w, r, seg, key, c, body)
	default:
		armErr(w, 404, "NotFound", "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
	}
}

// poolsOf returns the cluster's agent pools, first built from its
// agentPoolProfiles as AKS does.
func (f *fakeARM) poolsOf(key string, c map[string]any) []map[string]any {
	if ps, ok := f.pools[key]; ok {
		return ps
	}
	var ps []map[string]any
	profiles, _ := lookupPath(c, "properties.agentPoolProfiles").([]any)
	for _, p := range profiles {
		props := cloneMap(p.(map[string]any))
		name := props["name"].(string)
		delete(props, "name")
		ps = append(ps, map[string]any{"id": c["id"].(string) + "/agentPools/" + name, "name": name,
			"type": "Microsoft.ContainerService/managedClusters/agentPools", "properties": props})
	}
	f.pools[key] = ps
	return ps
}

func (f *fakeARM) agentPools(w http.ResponseWriter, r *http.Request, seg []string, key string, c map[string]any, body []byte) {
	ps := f.poolsOf(key, c)
	if len(seg) == 7 {
		vals := []any{}
		for _, p := range ps {
			vals = append(vals, p)
		}
		writeJSON(w, 200, map[string]any{"value": vals})
		return
	}
	name := seg[7]
	idx := -1
	for i, p := range ps {
		if strings.EqualFold(p["name"].(string), name) {
			idx = i
		}
	}
	switch {
	case r.Method == http.MethodGet && idx >= 0:
		writeJSON(w, 200, ps[idx])
	case r.Method == http.MethodGet || r.Method == http.MethodDelete && idx < 0:
		armErr(w, 404, "NotFound", fmt.Sprintf("Could not find agent pool %s in managed cluster %s.", name, seg[5]))
	case r.Method == http.MethodDelete:
		f.pools[key] = append(ps[:idx:idx], ps[idx+1:]...)
		f.startOp(w, 202)
	case r.Method == http.MethodPut:
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		props, _ := in["properties"].(map[string]any)
		props["provisioningState"] = "Succeeded"
		pool := map[string]any{"id": c["id"].(string) + "/agentPools/" + seg[7], "name": seg[7],
			"type": "Microsoft.ContainerService/managedClusters/agentPools", "properties": props}
		status := 201
		if idx >= 0 {
			ps[idx], status = pool, 200
		} else {
			f.pools[key] = append(ps, pool)
		}
		f.startOp(w, 0)
		writeJSON(w, status, pool)
	}
}

// kubernetesVersions answers Azure's KubernetesVersionListResult.
func (f *fakeARM) kubernetesVersions(w http.ResponseWriter, _ *http.Request) {
	ver := func(minor string, preview bool, patches map[string][]string) map[string]any {
		pv := map[string]any{}
		for k, ups := range patches {
			l := []any{}
			for _, u := range ups {
				l = append(l, u)
			}
			pv[k] = map[string]any{"upgrades": l}
		}
		v := map[string]any{"version": minor, "capabilities": map[string]any{"supportPlan": []any{"KubernetesOfficial", "AKSLongTermSupport"}}, "patchVersions": pv}
		if preview {
			v["isPreview"] = true
		}
		return v
	}
	writeJSON(w, 200, map[string]any{"values": []any{
		ver("1.34", true, map[string][]string{"1.34.0": {}}),
		ver("1.33", false, map[string][]string{"1.33.2": {"1.34.0"}, "1.33.10": {"1.34.0"}}),
	}})
}
