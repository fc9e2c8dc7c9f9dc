package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// providerShowArgs are the flags of `provider show`.
type providerShowArgs struct{ providerArgs }

func newProviderShowCmd(a *app) *cobra.Command {
	var args providerShowArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Get the details of a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderShow(ctx, args) })
	providerNamespaceFlag(c, &args.providerArgs)
	return c
}

// runProviderShow is `provider show`.
func (a *app) runProviderShow(ctx context.Context, args providerShowArgs) (any, error) {
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
