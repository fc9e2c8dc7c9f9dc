package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newGroupShowCmd(a *app) *cobra.Command {
	var args groupArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Get a resource group"}, groupTable,
		func(ctx context.Context) (any, error) { return a.runGroupShow(ctx, args) })
	groupNameFlag(c, &args)
	return c
}

// runGroupShow is `group show`.
func (a *app) runGroupShow(ctx context.Context, args groupArgs) (any, error) {
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
