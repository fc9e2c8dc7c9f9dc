package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksNodepoolListArgs are the flags of `aks nodepool list`.
type aksNodepoolListArgs struct {
	nodepoolArgs
}

func newAksNodepoolListCmd(a *app) *cobra.Command {
	var args aksNodepoolListArgs
	c := a.command(&cobra.Command{Use: "list", Short: "List the node pools of a managed cluster"}, agentPoolTable,
		func(ctx context.Context) (any, error) { return a.runAksNodepoolList(ctx, args) })
	nodepoolFlags(c, &args.nodepoolArgs, false)
	return c
}

// runAksNodepoolList is `aks nodepool list`: GET …/agentPools.
func (a *app) runAksNodepoolList(ctx context.Context, args aksNodepoolListArgs) (any, error) {
	if err := a.requireNodepool(args.nodepoolArgs, false); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	vals, err := cl.listValues(ctx, agentPoolsPath(cl, args.nodepoolArgs), apiAKS)
	return azAgentPools(vals), err
}
