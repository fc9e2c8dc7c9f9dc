package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newProviderRegisterCmd(a *app) *cobra.Command {
	var args providerArgs
	c := a.command(&cobra.Command{Use: "register", Short: "Register a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderRegister(ctx, args) })
	providerUpdateFlags(c, &args)
	return c
}

// runProviderRegister is `provider register`.
func (a *app) runProviderRegister(ctx context.Context, args providerArgs) (any, error) {
	return a.updateProvider(ctx, args, "register", "Registered", "Registering")
}
