package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksStartArgs are the flags of `aks start`.
type aksStartArgs struct {
	clusterArgs
	noWait bool
}

func newAksStartCmd(a *app) *cobra.Command {
	var args aksStartArgs
	c := a.command(&cobra.Command{Use: "start", Short: "Start a stopped managed cluster"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksStart(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	return c
}

// runAksStart is `aks start`: POST …/start and the long-running
// operation; it prints nothing.
func (a *app) runAksStart(ctx context.Context, args aksStartArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	return nil, a.postClusterAction(ctx, cl, args.clusterArgs, "start", args.noWait)
}
