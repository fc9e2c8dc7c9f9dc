package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// aksStopArgs are the flags of `aks stop`.
type aksStopArgs struct {
	clusterArgs
	noWait bool
}

func newAksStopCmd(a *app) *cobra.Command {
	var args aksStopArgs
	c := a.command(&cobra.Command{Use: "stop", Short: "Stop a managed cluster (its API server refuses every client until started)"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksStop(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	return c
}

// msgStopPrivate is az's aks_stop warning for a private cluster.
const msgStopPrivate = "Your private cluster apiserver IP might get changed when it's stopped and started.\n" +
	"Any user provisioned private endpoints linked to this private cluster will need to be deleted and created again. " +
	"Any user managed DNS record also needs to be updated with the new IP."

// runAksStop is `aks stop`: az's GET (for the private-cluster warning),
// then POST …/stop and the long-running operation; it prints nothing.
func (a *app) runAksStop(ctx context.Context, args aksStopArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, clusterPath(cl, args.clusterArgs), apiAKS)
	if err != nil {
		return nil, err
	}
	if private, _ := lookupPath(v, "properties.apiServerAccessProfile.enablePrivateCluster").(bool); private {
		a.warn("%s", msgStopPrivate)
	}
	return nil, a.postClusterAction(ctx, cl, args.clusterArgs, "stop", args.noWait)
}

// postClusterAction POSTs a cluster action (stop, start) and, unless
// noWait, follows its long-running operation.
func (a *app) postClusterAction(ctx context.Context, cl *client, id clusterArgs, action string, noWait bool) error {
	r, err := cl.do(ctx, http.MethodPost, cl.url(clusterPath(cl, id)+"/"+action, apiAKS), nil)
	if err != nil || noWait {
		return err
	}
	return a.poller(cl).wait(ctx, r)
}
