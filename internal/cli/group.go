package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

var groupSchema = &schema{
	fields:   []string{"id", "location", "managedBy", "name", "properties", "tags", "type"},
	children: map[string]*schema{"properties": {fields: []string{"provisioningState"}}},
	raw:      map[string]bool{"tags": true},
}

var groupTable = columns("Name=name", "Location=location", "Status=properties.provisioningState")

func newGroupCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "group", Short: "Manage resource groups (az group)"}
	var name, location string
	var tags []string
	var yes, noWait bool
	nameFlag := func(c *cobra.Command) {
		c.Flags().StringVarP(&name, "name", "n", "", "Name of the resource group")
		c.Flags().StringVarP(&name, "resource-group", "g", "", "Name of the resource group")
	}
	path := func(cl *client) string { return cl.sub() + "/resourcegroups/" + name }

	create := &cobra.Command{Use: "create", Short: "Create a new resource group", RunE: a.run(groupTable,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if name == "" {
				if err := required(c, "--name/--resource-group/-n/-g"); err != nil {
					return nil, err
				}
			}
			if err := required(c, "--location/-l"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			body := map[string]any{"location": location}
			if c.Flags().Changed("tags") {
				body["tags"] = parseTags(tags)
			}
			r, err := cl.do(ctx, http.MethodPut, cl.url(path(cl), apiResources), body)
			if err != nil {
				return nil, err
			}
			v, err := r.decode()
			return groupSchema.apply(v), err
		})}
	nameFlag(create)
	create.Flags().StringVarP(&location, "location", "l", "", "Location, e.g. eastus")
	create.Flags().StringArrayVar(&tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	create.Flags().String("managed-by", "", "Accepted and ignored (az compatibility)")

	show := &cobra.Command{Use: "show", Short: "Get a resource group", RunE: a.run(groupTable,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if name == "" {
				return nil, usage("the following arguments are required: --name/--resource-group/-n/-g")
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			v, err := cl.getJSON(ctx, path(cl), apiResources)
			return groupSchema.apply(v), err
		})}
	nameFlag(show)

	list := &cobra.Command{Use: "list", Short: "List resource groups", RunE: a.run(groupTable,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			vals, err := cl.listValues(ctx, cl.sub()+"/resourcegroups", apiResources)
			return groupSchema.applyList(vals), err
		})}

	del := &cobra.Command{Use: "delete", Short: "Delete a resource group", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if name == "" {
				return nil, usage("the following arguments are required: --name/--resource-group/-n/-g")
			}
			if !yes {
				return nil, errNoTTYConfirm
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			r, err := cl.do(ctx, http.MethodDelete, cl.url(path(cl), apiResources), nil)
			if err != nil || noWait {
				return nil, err
			}
			return nil, a.poller(c, cl).wait(ctx, r)
		})}
	nameFlag(del)
	del.Flags().BoolVarP(&yes, "yes", "y", false, "Do not prompt for confirmation")
	del.Flags().BoolVar(&noWait, "no-wait", false, "Do not wait for the operation to finish")
	g.AddCommand(create, show, list, del)
	return g
}

// errNoTTYConfirm is az's answer when a confirmation prompt cannot be
// shown; tagwall never prompts, so --yes is required.
var errNoTTYConfirm = userError("Unable to prompt for confirmation as no tty available. Use --yes.")
