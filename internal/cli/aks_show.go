package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksShowArgs are the flags of `aks show`.
type aksShowArgs struct {
	clusterArgs
}

func newAksShowCmd(a *app) *cobra.Command {
	var args aksShowArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Show a managed cluster"}, clusterTable,
		func(ctx context.Context) (any, error) { return a.runAksShow(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	return c
}

// runAksShow is `aks show`: GET the cluster, printed as az's SDK model.
func (a *app) runAksShow(ctx context.Context, args aksShowArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, args.clusterArgs), apiAKS)
	return azCluster(v), err
}
