package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// aksDeleteArgs are the flags of `aks delete`.
type aksDeleteArgs struct {
	clusterArgs
	yes, noWait bool
}

func newAksDeleteCmd(a *app) *cobra.Command {
	var args aksDeleteArgs
	c := a.command(&cobra.Command{Use: "delete", Short: "Delete a managed cluster"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksDelete(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().BoolVarP(&args.yes, "yes", "y", false, "Do not prompt for confirmation")
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the operation to finish")
	return c
}

// runAksDelete is `aks delete --yes`: DELETE, then the operation.
func (a *app) runAksDelete(ctx context.Context, args aksDeleteArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	if !args.yes {
		return nil, errNoTTYConfirm
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodDelete, cl.url(clusterPath(cl, args.clusterArgs), apiAKS), nil)
	if err != nil || args.noWait {
		return nil, err
	}
	return nil, a.poller(cl).wait(ctx, r)
}
