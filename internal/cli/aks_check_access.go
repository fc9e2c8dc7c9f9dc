package cli

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"
)

// aksCheckAccessArgs are the flags of `aks check-access`.
type aksCheckAccessArgs struct {
	clusterArgs
	ip string
}

func newAksCheckAccessCmd(a *app) *cobra.Command {
	var args aksCheckAccessArgs
	c := a.command(&cobra.Command{Use: "check-access",
		Short: "Say whether the front door admits an address and which entry decides (exit 0 allowed, 1 refused, 2 bad input)"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksCheckAccess(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().StringVar(&args.ip, "ip", "", "Client address to check")
	return c
}

// runAksCheckAccess is `aks check-access`: POST …/checkAccess. It prints
// the answer itself and exits 1 when the address is refused; a bad address
// or a request the API refuses as invalid exits 2.
func (a *app) runAksCheckAccess(ctx context.Context, args aksCheckAccessArgs) (any, error) {
	if err := a.required("--name/-n", "--resource-group/-g", "--ip"); err != nil {
		return nil, err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(args.ip))
	if err != nil {
		return nil, usage("argument --ip: %q is not an IP address", args.ip)
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodPost, cl.url(clusterPath(cl, args.clusterArgs)+"/checkAccess", apiAKS), map[string]any{"ipAddress": addr.String()})
	var ae *ARMError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return nil, &cliError{code: 2, msg: ae.Error(), err: err}
	}
	if err != nil {
		return nil, err
	}
	v, err := r.decode()
	if err != nil {
		return nil, err
	}
	if m, _ := v.(map[string]any); m["allowed"] != true {
		if err := printResult(a.stdout(), v, a.output, a.query, nil); err != nil {
			return nil, err
		}
		return nil, &ExitError{Code: 1}
	}
	return v, nil
}
