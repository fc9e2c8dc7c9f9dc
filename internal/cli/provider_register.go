package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// providerRegisterArgs are the flags of `provider register`.
type providerRegisterArgs struct{ providerArgs }

func newProviderRegisterCmd(a *app) *cobra.Command {
	var args providerRegisterArgs
	c := a.command(&cobra.Command{Use: "register", Short: "Register a provider"}, nil,
		func(ctx context.Context) (any, error) { return a.runProviderRegister(ctx, args) })
	providerUpdateFlags(c, &args.providerArgs)
	return c
}

// runProviderRegister is `provider register`.
func (a *app) runProviderRegister(ctx context.Context, args providerRegisterArgs) (any, error) {
	return a.updateProvider(ctx, args.providerArgs, "register", "Registered", "Registering")
}
