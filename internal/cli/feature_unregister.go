package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newFeatureUnregisterCmd(a *app) *cobra.Command {
	var args featureArgs
	c := a.command(&cobra.Command{Use: "unregister", Short: "Unregister a preview feature"}, featureTable,
		func(ctx context.Context) (any, error) { return a.runFeatureUnregister(ctx, args) })
	featureFlags(c, &args, true)
	return c
}

// runFeatureUnregister is `feature unregister`: az's warning, then POST …/unregister.
func (a *app) runFeatureUnregister(ctx context.Context, args featureArgs) (any, error) {
	return a.postFeature(ctx, args, "unregister", msgFeatureUnregistered)
}
