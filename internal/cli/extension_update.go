package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// extensionUpdateArgs are the flags of `extension update`.
type extensionUpdateArgs struct{ extensionArgs }

func newExtensionUpdateCmd(a *app) *cobra.Command {
	var args extensionUpdateArgs
	c := a.command(&cobra.Command{Use: "update", Short: "Update an extension"}, nil,
		func(ctx context.Context) (any, error) { return a.runExtensionUpdate(ctx, args) })
	extensionNameFlag(c, &args.extensionArgs)
	return c
}

// runExtensionUpdate is `extension update`: the one version is the latest.
func (a *app) runExtensionUpdate(_ context.Context, args extensionUpdateArgs) (any, error) {
	st, err := a.loadExtensionsFor()
	if err != nil {
		return nil, err
	}
	if _, installed := st.Extensions[args.name]; !installed {
		return nil, userError("The extension %s is not installed.", args.name)
	}
	a.warn("Latest version of '%s' is already installed.", args.name)
	return nil, nil
}
