package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/spf13/cobra"
)

// aksNodepoolScaleArgs are the flags of `aks nodepool scale`.
type aksNodepoolScaleArgs struct {
	nodepoolArgs
	nodeCount int
	noWait    bool
}

func newAksNodepoolScaleCmd(a *app) *cobra.Command {
	var args aksNodepoolScaleArgs
	c := a.command(&cobra.Command{Use: "scale", Short: "Scale a node pool"}, agentPoolTable,
		func(ctx context.Context) (any, error) { return a.runAksNodepoolScale(ctx, args) })
	nodepoolFlags(c, &args.nodepoolArgs, true)
	c.Flags().IntVarP(&args.nodeCount, "node-count", "c", 3, "Number of nodes")
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	return c
}

// Texts of az's aks_agentpool_scale (acs/custom.py).
const (
	msgScaleAutoscaler = "Cannot scale cluster autoscaler enabled node pool."
	msgScaleSameCount  = "The new node count is the same as the current node count."
)

// runAksNodepoolScale is `aks nodepool scale`: GET the pool, refuse as az
// does, set count and PUT the whole pool back.
func (a *app) runAksNodepoolScale(ctx context.Context, args aksNodepoolScaleArgs) (any, error) {
	if err := a.requireNodepool(args.nodepoolArgs, true); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	path := agentPoolPath(cl, args.nodepoolArgs)
	v, err := cl.getJSON(ctx, path, apiAKS)
	if err != nil {
		return nil, err
	}
	pool, _ := v.(map[string]any)
	if pool == nil {
		return nil, userError("get node pool %q of %q: empty answer", args.name, args.cluster)
	}
	props := objectAt(pool, "properties")
	if auto, _ := props["enableAutoScaling"].(bool); auto {
		return nil, userError(msgScaleAutoscaler)
	}
	if n, ok := props["count"].(json.Number); ok && n.String() == strconv.Itoa(args.nodeCount) {
		return nil, userError(msgScaleSameCount)
	}
	props["count"] = args.nodeCount
	for _, k := range []string{"id", "name", "type"} {
		delete(pool, k)
	}
	for _, k := range []string{"provisioningState", "currentOrchestratorVersion", "nodeImageVersion", "powerState"} {
		delete(props, k)
	}
	r, err := cl.do(ctx, http.MethodPut, cl.url(path, apiAKS), pool)
	if err != nil {
		return nil, err
	}
	return a.finishAgentPoolLRO(ctx, cl, args.nodepoolArgs, args.noWait, r)
}
