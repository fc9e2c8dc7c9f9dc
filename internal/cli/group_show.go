package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// groupShowArgs are the flags of `group show`.
type groupShowArgs struct {
	name string
}

func newGroupShowCmd(a *app) *cobra.Command {
	var args groupShowArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Get a resource group"}, groupTable,
		func(ctx context.Context) (any, error) { return a.runGroupShow(ctx, args) })
	groupNameFlag(c, &args.name)
	return c
}

// runGroupShow is `group show`.
func (a *app) runGroupShow(ctx context.Context, args groupShowArgs) (any, error) {
	if args.name == "" {
		return nil, errGroupName
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, groupPath(cl, args.name), apiResources)
	return groupSchema.apply(v), err
}
