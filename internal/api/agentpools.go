package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

const agentPoolType = "Microsoft.ContainerService/managedClusters/agentPools"

// maxPoolCount is the most nodes a pool may ask for (AKS: 1,000 per pool).
const maxPoolCount = 1000

func (s *server) registerAgentPools() {
	v := arm.ManagedClustersVersions
	s.add(http.MethodGet, clusterPath+"/agentPools", v, s.listAgentPools)
	s.add(http.MethodGet, clusterPath+"/agentPools/{pool}", v, s.getAgentPool)
	s.add(http.MethodPut, clusterPath+"/agentPools/{pool}", v, s.putAgentPool)
	s.add(http.MethodDelete, clusterPath+"/agentPools/{pool}", v, s.deleteAgentPool)
}

// poolJSON is the AgentPool resource of one of the cluster's
// agentPoolProfiles (no nodes exist: counts and states only).
func poolJSON(mc *state.ManagedCluster, p map[string]any) map[string]any {
	props := encodePool(mc, p)
	name, _ := props["name"].(string)
	delete(props, "name")
	return map[string]any{
		"id":   arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name) + "/agentPools/" + name,
		"name": name, "type": agentPoolType, "properties": props,
	}
}

// findPool returns the index of the pool named name (case-insensitive), or -1.
func findPool(mc *state.ManagedCluster, name string) int {
	for i, p := range mc.AgentPools {
		if n, _ := p["name"].(string); strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

func (s *server) poolNotFound(c *call) error {
	return arm.ResourceNotFound(agentPoolType, c.v("name")+"/"+c.v("pool"), c.v("rg"))
}

// listAgentPools answers GET …/managedClusters/{name}/agentPools.
func (s *server) listAgentPools(c *call) error {
	mc, _, err := s.existingCluster(c)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(mc.AgentPools))
	for _, p := range mc.AgentPools {
		out = append(out, poolJSON(&mc, p))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// existingPool loads the cluster of the path and finds its pool {pool}:
// the cluster and the pool's index, or existingCluster's 404s and
// poolNotFound when the pool is missing.
func (s *server) existingPool(c *call) (state.ManagedCluster, int, error) {
	mc, _, err := s.existingCluster(c)
	if err != nil {
		return mc, -1, err
	}
	i := findPool(&mc, c.v("pool"))
	if i < 0 {
		return mc, -1, s.poolNotFound(c)
	}
	return mc, i, nil
}

// getAgentPool answers GET …/agentPools/{pool}.
func (s *server) getAgentPool(c *call) error {
	mc, i, err := s.existingPool(c)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, poolJSON(&mc, mc.AgentPools[i]))
	return nil
}

// putAgentPool answers PUT …/agentPools/{pool}: it adds the pool (201) or
// replaces its properties (200) in the cluster's agentPoolProfiles, as one
// operation the CLI polls (Azure-AsyncOperation), then GETs the pool.
// maxAgentPools is the most agent pools a cluster may have (AKS's
// maxAgentPools, which the cluster's properties report).
const maxAgentPools = 100

func (s *server) putAgentPool(c *call) error {
	var req struct {
		Properties map[string]any `json:"properties"`
	}
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	pool, err := checkPool(c.v("pool"), req.Properties)
	if err != nil {
		return err
	}
	status := http.StatusOK
	mc, op, err := s.changeCluster(c, state.OpAgentPool, state.Updating, func(mc *state.ManagedCluster) error {
		i := findPool(mc, c.v("pool"))
		setDefault(pool, "orchestratorVersion", mc.KubernetesVersion)
		if v, _ := pool["orchestratorVersion"].(string); v != mc.KubernetesVersion && (i < 0 || v != mc.AgentPools[i]["orchestratorVersion"]) {
			if err := checkKubernetesVersion("AgentPoolK8sVersionNotSupported", "properties.orchestratorVersion", v); err != nil {
				return err
			}
		}
		if i < 0 && len(mc.AgentPools) >= maxAgentPools {
			return arm.Errorf(http.StatusConflict, "QuotaExceeded",
				"The managed cluster '%s' has %d agent pools, the most allowed (maxAgentPools); delete one first.", mc.Name, len(mc.AgentPools))
		}
		pools := append([]map[string]any(nil), mc.AgentPools...)
		if i < 0 {
			status = http.StatusCreated
			pools = append(pools, pool)
		} else {
			pool["name"] = mc.AgentPools[i]["name"]
			pools[i] = pool
		}
		mc.AgentPools = pools
		return nil
	})
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, false)
	arm.WriteJSON(c.w, status, poolJSON(mc, mc.AgentPools[findPool(mc, c.v("pool"))]))
	return nil
}

// checkPool validates a pool PUT's properties and returns the pool to
// store (read-only fields dropped, defaults set).
func checkPool(name string, props map[string]any) (map[string]any, error) {
	if !asciiName(name, 12, false) || strings.ContainsRune(name, '-') || name != strings.ToLower(name) || name[0] < 'a' {
		return nil, arm.InvalidField("InvalidParameter", "agentPoolName", name,
			"agent pool names are 1 to 12 lowercase letters and digits, beginning with a letter.")
	}
	if props == nil {
		return nil, &arm.Error{Status: http.StatusBadRequest, Code: "InvalidRequestContent", Target: "properties",
			Message: "The request content was invalid: 'properties' is required and must be an object."}
	}
	p := maps.Clone(props)
	for _, f := range readOnlyPoolFields {
		delete(p, f)
	}
	p["name"] = name
	setDefault(p, "count", 1)
	setDefault(p, "mode", "User")
	setDefault(p, "osType", "Linux")
	setDefault(p, "type", "VirtualMachineScaleSets")
	setDefault(p, "vmSize", "Standard_DS2_v2")
	n, ok := p["count"].(float64)
	if !ok {
		if i, isInt := p["count"].(int); isInt {
			n, ok = float64(i), true
		}
	}
	if !ok || n != float64(int(n)) || n < 0 || n > maxPoolCount {
		return nil, arm.InvalidField("InvalidParameter", "properties.count", fmt.Sprint(p["count"]),
			fmt.Sprintf("the node count is a whole number from 0 to %d.", maxPoolCount))
	}
	if _, err := json.Marshal(p); err != nil {
		return nil, arm.InvalidRequestContent(err)
	}
	return p, nil
}

// deleteAgentPool answers DELETE …/agentPools/{pool}: 204 when there is no
// such pool, else 202 and an operation. A cluster keeps at least one
// System pool, as AKS requires.
func (s *server) deleteAgentPool(c *call) error {
	mc, _, err := s.existingCluster(c)
	if err != nil {
		return err
	}
	if findPool(&mc, c.v("pool")) < 0 {
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	_, op, err := s.changeCluster(c, state.OpAgentPool, state.Updating, func(mc *state.ManagedCluster) error {
		i := findPool(mc, c.v("pool"))
		if i < 0 {
			return nil
		}
		pools := append(append([]map[string]any(nil), mc.AgentPools[:i]...), mc.AgentPools[i+1:]...)
		if !hasSystemPool(pools) {
			return arm.Errorf(http.StatusBadRequest, "OperationNotAllowed",
				"Operation is not allowed: agent pool '%s' is the last System mode pool of managed cluster '%s'; a cluster needs at least one.",
				arm.Printable(c.v("pool")), c.v("name"))
		}
		mc.AgentPools = pools
		return nil
	})
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, true)
	c.w.WriteHeader(http.StatusAccepted)
	return nil
}

func hasSystemPool(pools []map[string]any) bool {
	for _, p := range pools {
		if m, _ := p["mode"].(string); strings.EqualFold(m, "System") {
			return true
		}
	}
	return false
}
