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
			return cl.getJSON(ctx, cl.sub()+"/providers/Microsoft.Network/locations/"+url.PathEscape(location)+"/serviceTags", apiServiceTags)
		})}
	lst.Flags().StringVarP(&location, "location", "l", "", "Location; used only as an API version reference, as in Azure")
	g.AddCommand(lst)
	return g
}
