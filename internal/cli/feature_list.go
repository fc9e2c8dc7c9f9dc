package cli

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

// featureListArgs are the flags of `feature list`.
type featureListArgs struct{ featureArgs }

func newFeatureListCmd(a *app) *cobra.Command {
	var args featureListArgs
	c := a.command(&cobra.Command{Use: "list", Short: "List preview features"}, featureTable,
		func(ctx context.Context) (any, error) { return a.runFeatureList(ctx, args) })
	featureFlags(c, &args.featureArgs, false)
	return c
}

// runFeatureList is `feature list [--namespace ns]`.
func (a *app) runFeatureList(ctx context.Context, args featureListArgs) (any, error) {
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	path := cl.sub() + "/providers/Microsoft.Features/features"
	if args.namespace != "" {
		path = cl.sub() + "/providers/Microsoft.Features/providers/" + url.PathEscape(args.namespace) + "/features"
	}
	vals, err := cl.listValues(ctx, path, apiFeatures)
	return featureSchema.applyList(vals), err
}
