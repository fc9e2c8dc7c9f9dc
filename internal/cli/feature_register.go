package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// featureRegisterArgs are the flags of `feature register`.
type featureRegisterArgs struct{ featureArgs }

func newFeatureRegisterCmd(a *app) *cobra.Command {
	var args featureRegisterArgs
	c := a.command(&cobra.Command{Use: "register", Short: "Register a preview feature"}, featureTable,
		func(ctx context.Context) (any, error) { return a.runFeatureRegister(ctx, args) })
	featureFlags(c, &args.featureArgs, true)
	return c
}

// featureFlags adds --namespace and (withName) --name/-n.
func featureFlags(c *cobra.Command, args *featureArgs, withName bool) {
	c.Flags().StringVar(&args.namespace, "namespace", "", "The resource namespace, e.g. Microsoft.ContainerService")
	if withName {
		c.Flags().StringVarP(&args.name, "name", "n", "", "The feature name")
	}
}

// runFeatureRegister is `feature register`: az's warning, then POST …/register.
func (a *app) runFeatureRegister(ctx context.Context, args featureRegisterArgs) (any, error) {
	return a.postFeature(ctx, args.featureArgs, "register", msgFeatureRegistered)
}

// postFeature checks the arguments, prints az's warning and POSTs verb.
func (a *app) postFeature(ctx context.Context, args featureArgs, verb, warning string) (any, error) {
	if err := a.required("--namespace", "--name/-n"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	a.warn(warning, args.name, args.namespace)
	r, err := cl.do(ctx, http.MethodPost, cl.url(featurePath(cl, args)+"/"+verb, apiFeatures), nil)
	if err != nil {
		return nil, err
	}
	v, err := r.decode()
	if err != nil {
		return nil, err
	}
	return featureSchema.apply(v), nil
}
