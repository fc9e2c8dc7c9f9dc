package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// aksAccessListArgs are the flags of `aks access list`.
type aksAccessListArgs struct {
	clusterArgs
}

func newAksAccessListCmd(a *app) *cobra.Command {
	var args aksAccessListArgs
	c := a.command(&cobra.Command{Use: "list", Short: "List the access grants of a managed cluster (active and expired)"}, grantTable,
		func(ctx context.Context) (any, error) { return a.runAksAccessList(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	return c
}

// runAksAccessList is `aks access list`: GET …/accessGrants.
func (a *app) runAksAccessList(ctx context.Context, args aksAccessListArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	return cl.listValues(ctx, grantPath(cl, args.clusterArgs, ""), apiAKS)
}

// grantTable is the -o table view of grants.
var grantTable = columns("Name=name", "Range=properties.range", "ExpiresAt=properties.expiresAt",
	"State=properties.state", "Reason=properties.reason", "CreatedBy=properties.createdBy")
