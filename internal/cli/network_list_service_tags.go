package cli

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

// networkListServiceTagsArgs are the flags of `network list-service-tags`.
type networkListServiceTagsArgs struct {
	location string
}

func newNetworkListServiceTagsCmd(a *app) *cobra.Command {
	var args networkListServiceTagsArgs
	c := a.command(&cobra.Command{Use: "list-service-tags", Short: "List the service tags of a cloud"}, nil,
		func(ctx context.Context) (any, error) { return a.runNetworkListServiceTags(ctx, args) })
	c.Flags().StringVarP(&args.location, "location", "l", "", "Location; used only as an API version reference, as in Azure")
	return c
}

// runNetworkListServiceTags is `network list-service-tags`: the discovery
// API, every page.
func (a *app) runNetworkListServiceTags(ctx context.Context, args networkListServiceTagsArgs) (any, error) {
	if err := a.required("--location/-l"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	return cl.serviceTags(ctx, cl.sub()+"/providers/Microsoft.Network/locations/"+url.PathEscape(args.location)+"/serviceTags")
}
