package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// extensionAddArgs are the flags of `extension add`.
type extensionAddArgs struct{ extensionArgs }

func newExtensionAddCmd(a *app) *cobra.Command {
	var args extensionAddArgs
	c := a.command(&cobra.Command{Use: "add", Short: "Add an extension"}, nil,
		func(ctx context.Context) (any, error) { return a.runExtensionAdd(ctx, args) })
	extensionNameFlag(c, &args.extensionArgs)
	c.Flags().Bool("upgrade", false, "Accepted and ignored (az compatibility)")
	c.Flags().BoolP("yes", "y", false, "Accepted and ignored (az compatibility)")
	return c
}

// runExtensionAdd is `extension add --name aks-preview`: records it locally.
func (a *app) runExtensionAdd(_ context.Context, args extensionAddArgs) (any, error) {
	st, err := a.loadExtensionsFor()
	if err != nil {
		return nil, err
	}
	if args.name != aksPreview {
		return nil, userError("No matching extensions for '%s'. Use --debug for more information.", args.name)
	}
	if _, installed := st.Extensions[args.name]; installed {
		a.warn("Extension '%s' is already installed.", args.name)
		return nil, nil
	}
	st.Extensions[args.name] = aksPreviewVersion
	a.warn("The installed extension '%s' is in preview.", args.name)
	if err := a.saveExtensions(st); err != nil {
		return nil, userError("%v", err)
	}
	return nil, nil
}
