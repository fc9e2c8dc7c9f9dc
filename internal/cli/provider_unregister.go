package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newProviderUnregisterCmd(a *app) *cobra.Command {
	var args providerArgs
	c := a.command(&cobra.Command{Use: "unregister", Short: "Unregister a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderUnregister(ctx, args) })
	providerUpdateFlags(c, &args)
	return c
}

// runProviderUnregister is `provider unregister`.
func (a *app) runProviderUnregister(ctx context.Context, args providerArgs) (any, error) {
	return a.updateProvider(ctx, args, "unregister", "Unregistered", "Unregistering")
}
