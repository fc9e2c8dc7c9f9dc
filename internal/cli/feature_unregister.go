package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// featureUnregisterArgs are the flags of `feature unregister`.
type featureUnregisterArgs struct{ featureArgs }

func newFeatureUnregisterCmd(a *app) *cobra.Command {
	var args featureUnregisterArgs
	c := a.command(&cobra.Command{Use: "unregister", Short: "Unregister a preview feature"}, featureTable,
		func(ctx context.Context) (any, error) { return a.runFeatureUnregister(ctx, args) })
	featureFlags(c, &args.featureArgs, true)
	return c
}

// runFeatureUnregister is `feature unregister`: az's warning, then POST …/unregister.
func (a *app) runFeatureUnregister(ctx context.Context, args featureUnregisterArgs) (any, error) {
	return a.postFeature(ctx, args.featureArgs, "unregister", msgFeatureUnregistered)
}
