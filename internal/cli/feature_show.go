package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// featureShowArgs are the flags of `feature show`.
type featureShowArgs struct{ featureArgs }

func newFeatureShowCmd(a *app) *cobra.Command {
	var args featureShowArgs
	c := a.command(&cobra.Command{Use: "show", Short: "Get the details of a feature"}, featureTable,
		func(ctx context.Context) (any, error) { return a.runFeatureShow(ctx, args) })
	featureFlags(c, &args.featureArgs, true)
	return c
}

// runFeatureShow is `feature show`: GET the feature.
func (a *app) runFeatureShow(ctx context.Context, args featureShowArgs) (any, error) {
	if err := a.required("--namespace", "--name/-n"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	v, err := cl.getJSON(ctx, featurePath(cl, args.featureArgs), apiFeatures)
	return featureSchema.apply(v), err
}
