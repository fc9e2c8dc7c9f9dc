package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// extensionRemoveArgs are the flags of `extension remove`.
type extensionRemoveArgs struct{ extensionArgs }

func newExtensionRemoveCmd(a *app) *cobra.Command {
	var args extensionRemoveArgs
	c := a.command(&cobra.Command{Use: "remove", Short: "Remove an extension"}, nil,
		func(ctx context.Context) (any, error) { return a.runExtensionRemove(ctx, args) })
	extensionNameFlag(c, &args.extensionArgs)
	return c
}

// runExtensionRemove is `extension remove`.
func (a *app) runExtensionRemove(_ context.Context, args extensionRemoveArgs) (any, error) {
	st, err := a.loadExtensionsFor()
	if err != nil {
		return nil, err
	}
	if _, installed := st.Extensions[args.name]; !installed {
		return nil, userError("The extension %s is not installed.", args.name)
	}
	delete(st.Extensions, args.name)
	if err := a.saveExtensions(st); err != nil {
		return nil, userError("%v", err)
	}
	return nil, nil
}
