package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// providerListArgs: `provider list` takes only the global flags.
type providerListArgs struct{}

func newProviderListCmd(a *app) *cobra.Command {
	var args providerListArgs
	return a.command(&cobra.Command{Use: "list", Short: "List providers"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderList(ctx, args) })
}

// runProviderList is `provider list`.
func (a *app) runProviderList(ctx context.Context, _ providerListArgs) (any, error) {
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	vals, err := cl.listValues(ctx, cl.sub()+"/providers", apiResources)
	return providerSchema.applyList(vals), err
}
