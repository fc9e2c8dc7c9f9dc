package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// groupDeleteArgs are the flags of `group delete`.
type groupDeleteArgs struct {
	name        string
	yes, noWait bool
}

func newGroupDeleteCmd(a *app) *cobra.Command {
	var args groupDeleteArgs
	c := a.command(&cobra.Command{Use: "delete", Short: "Delete a resource group"}, nil,
		func(ctx context.Context) (any, error) { return a.runGroupDelete(ctx, args) })
	groupNameFlag(c, &args.name)
	c.Flags().BoolVarP(&args.yes, "yes", "y", false, "Do not prompt for confirmation")
	c.Flags().BoolVar(&args.noWait, "no-wait", false, "Do not wait for the operation to finish")
	return c
}

// runGroupDelete is `group delete --yes`: DELETE, then the operation.
func (a *app) runGroupDelete(ctx context.Context, args groupDeleteArgs) (any, error) {
	if args.name == "" {
		return nil, errGroupName
	}
	if !args.yes {
		return nil, errNoTTYConfirm
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodDelete, cl.url(groupPath(cl, args.name), apiResources), nil)
	if err != nil || args.noWait {
		return nil, err
	}
	return nil, a.poller(cl).wait(ctx, r)
}
