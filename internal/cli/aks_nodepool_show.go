package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksNodepoolShowArgs are the flags of `aks nodepool show`.
type aksNodepoolShowArgs struct {
	nodepoolArgs
}

func newAksNodepoolShowCmd(a *app) *cobra.Command {
	var args aksNodepoolShowArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Show a node pool"}, agentPoolTable,
		func(ctx context.Context) (any, error) { return a.runAksNodepoolShow(ctx, args) })
	nodepoolFlags(c, &args.nodepoolArgs, true)
	return c
}

// runAksNodepoolShow is `aks nodepool show`: GET …/agentPools/{name}.
func (a *app) runAksNodepoolShow(ctx context.Context, args aksNodepoolShowArgs) (any, error) {
	if err := a.requireNodepool(args.nodepoolArgs, true); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, agentPoolPath(cl, args.nodepoolArgs), apiAKS)
	return azAgentPool(v), err
}
