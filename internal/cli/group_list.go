package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// groupListArgs: `group list` takes only the global flags.
type groupListArgs struct{}

func newGroupListCmd(a *app) *cobra.Command {
	var args groupListArgs
	return a.command(&cobra.Command{Use: "list", Short: "List resource groups"}, groupTable,
		func(ctx context.Context) (any, error) { return a.runGroupList(ctx, args) })
}

// runGroupList is `group list`.
func (a *app) runGroupList(ctx context.Context, _ groupListArgs) (any, error) {
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	vals, err := cl.listValues(ctx, cl.sub()+"/resourcegroups", apiResources)
	return groupSchema.applyList(vals), err
}
