package cli

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
)

// aksAccessRevokeArgs are the flags of `aks access revoke`.
type aksAccessRevokeArgs struct {
	clusterArgs
	grantName string
}

func newAksAccessRevokeCmd(a *app) *cobra.Command {
	var args aksAccessRevokeArgs
	c := a.command(&cobra.Command{Use: "revoke", Short: "Revoke an access grant at once (its live connections are closed)"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksAccessRevoke(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().StringVar(&args.grantName, "grant-name", "", "Name of the grant (see aks access list)")
	return c
}

// runAksAccessRevoke is `aks access revoke`: DELETE …/accessGrants/{name}.
func (a *app) runAksAccessRevoke(ctx context.Context, args aksAccessRevokeArgs) (any, error) {
	if err := a.required("--name/-n", "--resource-group/-g", "--grant-name"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	_, err = cl.do(ctx, http.MethodDelete, cl.url(grantPath(cl, args.clusterArgs, args.grantName), apiAKS), nil)
	return nil, err
}
