package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// groupCreateArgs are the flags of `group create`.
type groupCreateArgs struct {
	name, location string
	tags           []string
}

func newGroupCreateCmd(a *app) *cobra.Command {
	var args groupCreateArgs
	c := a.command(&cobra.Command{Use: "create", Short: "Create a new resource group"}, groupTable,
		func(ctx context.Context) (any, error) { return a.runGroupCreate(ctx, args) })
	groupNameFlag(c, &args.name)
	c.Flags().StringVarP(&args.location, "location", "l", "", "Location, e.g. eastus")
	c.Flags().StringArrayVar(&args.tags, "tags", nil, `Space-separated tags: key[=value] ("" clears)`)
	c.Flags().String("managed-by", "", "Accepted and ignored (az compatibility)")
	return c
}

// runGroupCreate is `group create`: PUT {location[, tags]}.
func (a *app) runGroupCreate(ctx context.Context, args groupCreateArgs) (any, error) {
	if args.name == "" {
		return nil, errGroupName
	}
	if err := a.required("--location/-l"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	body := map[string]any{"location": args.location}
	if a.changed("tags") {
		body["tags"] = parseTags(args.tags)
	}
	r, err := cl.do(ctx, http.MethodPut, cl.url(groupPath(cl, args.name), apiResources), body)
	if err != nil {
		return nil, err
	}
	v, err := r.decode()
	return groupSchema.apply(v), err
}
