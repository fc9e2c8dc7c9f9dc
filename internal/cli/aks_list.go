package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksListArgs are the flags of `aks list`.
type aksListArgs struct {
	group string
}

func newAksListCmd(a *app) *cobra.Command {
	var args aksListArgs
	c := a.command(&cobra.Command{Use: "list", Short: "List managed clusters"}, clusterTable,
		func(ctx context.Context) (any, error) { return a.runAksList(ctx, args) })
	c.Flags().StringVarP(&args.group, "resource-group", "g", "", "Name of the resource group")
	return c
}

// runAksList is `aks list [-g group]`.
func (a *app) runAksList(ctx context.Context, args aksListArgs) (any, error) {
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	path := cl.sub() + "/providers/Microsoft.ContainerService/managedClusters"
	if args.group != "" {
		path = cl.sub() + "/resourceGroups/" + args.group + "/providers/Microsoft.ContainerService/managedClusters"
	}
	vals, err := cl.listValues(ctx, path, apiAKS)
	return azClusters(vals), err
}
