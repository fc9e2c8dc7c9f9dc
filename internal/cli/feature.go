package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// featureKeys are the fields az prints for a FeatureResult.
var featureSchema = &schema{
	fields:   []string{"id", "name", "properties", "type"},
	children: map[string]*schema{"properties": {fields: []string{"state"}}},
}

func newFeatureCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "feature", Short: "Manage resource provider features (az feature)"}
	var ns, name string
	flags := func(c *cobra.Command, withName bool) {
		c.Flags().StringVar(&ns, "namespace", "", "The resource namespace, e.g. Microsoft.ContainerService")
		if withName {
			c.Flags().StringVarP(&name, "name", "n", "", "The feature name")
		}
	}
	featurePath := func(cl *client) string {
		return cl.sub() + "/providers/Microsoft.Features/providers/" + ns + "/features/" + name
	}
	post := func(verb string) action {
		return func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--namespace", "--name/-n"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			r, err := cl.do(ctx, http.MethodPost, cl.url(featurePath(cl)+"/"+verb, apiFeatures), nil)
			if err != nil {
				return nil, err
			}
			v, err := r.decode()
			if err != nil {
				return nil, err
			}
			a.warn(c, "Once the feature '%s' is registered, invoking 'tagwall provider register -n %s' is required to get the change propagated", name, ns)
			return featureSchema.apply(v), nil
		}
	}
	table := columns("Name=name", "RegistrationState=properties.state")

	reg := &cobra.Command{Use: "register", Short: "Register a preview feature", RunE: a.run(table, post("register"))}
	flags(reg, true)
	unreg := &cobra.Command{Use: "unregister", Short: "Unregister a preview feature", RunE: a.run(table, post("unregister"))}
	flags(unreg, true)
	show := &cobra.Command{Use: "show", Short: "Get the details of a feature", RunE: a.run(table,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--namespace", "--name/-n"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			v, err := cl.getJSON(ctx, featurePath(cl), apiFeatures)
			return featureSchema.apply(v), err
		})}
	flags(show, true)
	list := &cobra.Command{Use: "list", Short: "List preview features", RunE: a.run(table,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			path := cl.sub() + "/providers/Microsoft.Features/features"
			if ns != "" {
				path = cl.sub() + "/providers/Microsoft.Features/providers/" + url.PathEscape(ns) + "/features"
			}
			vals, err := cl.listValues(ctx, path, apiFeatures)
			return featureSchema.applyList(vals), err
		})}
	flags(list, false)
	g.AddCommand(reg, unreg, show, list)
	return g
}
