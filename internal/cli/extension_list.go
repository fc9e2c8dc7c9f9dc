package cli

import (
	"context"
	"sort"

	"github.com/spf13/cobra"
)

// extensionListArgs: `extension list` takes only the global flags.
type extensionListArgs struct{}

func newExtensionListCmd(a *app) *cobra.Command {
	var args extensionListArgs
	return a.command(&cobra.Command{Use: "list", Short: "List installed extensions"}, nil,
		func(ctx context.Context) (any, error) { return a.runExtensionList(ctx, args) })
}

// runExtensionList is `extension list`, in az's shape.
func (a *app) runExtensionList(_ context.Context, _ extensionListArgs) (any, error) {
	st, err := a.loadExtensions()
	if err != nil {
		return nil, userError("%v", err)
	}
	p, _ := a.extensionPath()
	names := make([]string, 0, len(st.Extensions))
	for n := range st.Extensions {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []any{}
	for _, n := range names {
		out = append(out, map[string]any{
			"experimental": false, "extensionType": "whl", "name": n,
			"path": p, "preview": true, "version": st.Extensions[n],
		})
	}
	return out, nil
}
