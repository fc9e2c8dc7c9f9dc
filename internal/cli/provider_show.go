package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newProviderShowCmd(a *app) *cobra.Command {
	var args providerArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Get the details of a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderShow(ctx, args) })
	providerNamespaceFlag(c, &args)
	return c
}

// runProviderShow is `provider show`.
func (a *app) runProviderShow(ctx context.Context, args providerArgs) (any, error) {
	if err := a.required("--namespace/-n"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, cl.sub()+"/providers/"+args.namespace, apiResources)
	return providerSchema.apply(v), err
}
