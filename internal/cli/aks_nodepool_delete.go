package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// aksNodepoolDeleteArgs are the flags of `aks nodepool delete`.
type aksNodepoolDeleteArgs struct {
	nodepoolArgs
	noWait bool
}

func newAksNodepoolDeleteCmd(a *app) *cobra.Command {
	var args aksNodepoolDeleteArgs
	c := a.command(&cobra.Command{Use: "delete", Short: "Delete a node pool"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksNodepoolDelete(ctx, args) })
	nodepoolFlags(c, &args.nodepoolArgs, true)
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the long-running operation to finish")
	return c
}

// runAksNodepoolDelete is `aks nodepool delete` (az asks no confirmation):
// DELETE, then the operation; it prints nothing.
func (a *app) runAksNodepoolDelete(ctx context.Context, args aksNodepoolDeleteArgs) (any, error) {
	if err := a.requireNodepool(args.nodepoolArgs, true); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodDelete, cl.url(agentPoolPath(cl, args.nodepoolArgs), apiAKS), nil)
	if err != nil || args.noWait {
		return nil, err
	}
	return nil, a.poller(cl).wait(ctx, r)
}
