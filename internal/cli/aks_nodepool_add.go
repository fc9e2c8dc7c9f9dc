package cli

import (
	"context"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// aksNodepoolAddArgs are the flags of `aks nodepool add`.
type aksNodepoolAddArgs struct {
	nodepoolArgs
	nodeCount          int
	vmSize, k8sVersion string
	osType, mode       string
	noWait             bool
}

func newAksNodepoolAddCmd(a *app) *cobra.Command {
	var args aksNodepoolAddArgs
	c := a.command(&cobra.Command{Use: "add", Short: "Add a node pool to a managed cluster"}, agentPoolTable,
		func(ctx context.Context) (any, error) { return a.runAksNodepoolAdd(ctx, args) })
	nodepoolFlags(c, &args.nodepoolArgs, true)
	fl := c.Flags()
	fl.IntVarP(&args.nodeCount, "node-count", "c", 3, "Number of nodes")
	fl.StringVarP(&args.vmSize, "node-vm-size", "s", "", "Size of the nodes (default: Standard_DS2_v2, Windows: Standard_D2s_v3)")
	fl.StringVarP(&args.k8sVersion, "kubernetes-version", "k", "", "Kubernetes version (default: the cluster's)")
	fl.StringVar(&args.osType, "os-type", "Linux", "Operating system: Linux or Windows")
	fl.StringVar(&args.mode, "mode", "User", "Node pool mode: System or User")
	fl.BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	return c
}

// runAksNodepoolAdd is `aks nodepool add`: one PUT of az's AgentPool
// body, then the long-running operation and a GET of the pool.
func (a *app) runAksNodepoolAdd(ctx context.Context, args aksNodepoolAddArgs) (any, error) {
	if err := a.requireNodepool(args.nodepoolArgs, true); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	vmSize := args.vmSize
	if vmSize == "" { // az's default by OS (aks_agentpool_add)
		vmSize = "Standard_DS2_v2"
		if strings.EqualFold(args.osType, "Windows") {
			vmSize = "Standard_D2s_v3"
		}
	}
	body := map[string]any{"properties": map[string]any{
		"count": args.nodeCount, "vmSize": vmSize, "osDiskSizeGB": 0, "osType": args.osType,
		"enableAutoScaling": false, "type": "VirtualMachineScaleSets", "mode": args.mode,
		"orchestratorVersion": args.k8sVersion, "upgradeSettings": map[string]any{},
		"enableNodePublicIP": false, "scaleSetPriority": "Regular", "scaleSetEvictionPolicy": "Delete",
		"spotMaxPrice": -1.0, "nodeTaints": []any{}, "enableEncryptionAtHost": false,
		"enableUltraSSD": false, "enableFIPS": false,
	}}
	r, err := cl.do(ctx, http.MethodPut, cl.url(agentPoolPath(cl, args.nodepoolArgs), apiAKS), body)
	if err != nil {
		return nil, err
	}
	return a.finishAgentPoolLRO(ctx, cl, args.nodepoolArgs, args.noWait, r)
}

// finishAgentPoolLRO follows the operation r started (unless noWait) and
// returns the pool, as finishLRO does for clusters.
func (a *app) finishAgentPoolLRO(ctx context.Context, cl *client, args nodepoolArgs, noWait bool, r *response) (any, error) {
	if noWait {
		return nil, nil
	}
	if r.header.Get("Azure-AsyncOperation") == "" && r.header.Get("Location") == "" {
		v, err := r.decode()
		return azAgentPool(v), err
	}
	if err := a.poller(cl).wait(ctx, r); err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, agentPoolPath(cl, args), apiAKS)
	return azAgentPool(v), err
}
