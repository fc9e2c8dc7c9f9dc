package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// providerUnregisterArgs are the flags of `provider unregister`.
type providerUnregisterArgs struct{ providerArgs }

func newProviderUnregisterCmd(a *app) *cobra.Command {
	var args providerUnregisterArgs
	c := a.command(&cobra.Command{Use: "unregister", Short: "Unregister a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderUnregister(ctx, args) })
	providerUpdateFlags(c, &args.providerArgs)
	return c
}

// runProviderUnregister is `provider unregister`.
func (a *app) runProviderUnregister(ctx context.Context, args providerUnregisterArgs) (any, error) {
	return a.updateProvider(ctx, args.providerArgs, "unregister", "Unregistered", "Unregistering")
}
