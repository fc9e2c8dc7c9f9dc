package cli

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

func newNetworkCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "network", Short: "Network commands (az network)"}
	var location string
	lst := &cobra.Command{Use: "list-service-tags", Short: "List the service tags of a cloud", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--location/-l"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			return cl.serviceTags(ctx, cl.sub()+"/providers/Microsoft.Network/locations/"+url.PathEscape(location)+"/serviceTags")
		})}
	lst.Flags().StringVarP(&location, "location", "l", "", "Location; used only as an API version reference, as in Azure")
	g.AddCommand(lst)
	return g
}

// serviceTags GETs the discovery API and follows nextLink, appending each
// page's values to the first page (nextLink then prints as null). az prints
// only the first page; tagwall's server pages, so the whole list is more
// useful and --query sees every tag.
func (c *client) serviceTags(ctx context.Context, path string) (any, error) {
	first, err := c.getJSON(ctx, path, apiServiceTags)
	if err != nil {
		return nil, err
	}
	m, ok := first.(map[string]any)
	if !ok {
		return first, nil
	}
	for page := 0; page < 1000; page++ {
		next, _ := m["nextLink"].(string)
		if next == "" {
			break
		}
		v, err := c.getJSON(ctx, next, "")
		if err != nil {
			return nil, err
		}
		pm, _ := v.(map[string]any)
		vals, _ := m["values"].([]any)
		more, _ := pm["values"].([]any)
		m["values"] = append(vals, more...)
		m["nextLink"] = pm["nextLink"]
	}
	return m, nil
}
