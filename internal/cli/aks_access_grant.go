package cli

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// aksAccessGrantArgs are the flags of `aks access grant`.
type aksAccessGrantArgs struct {
	clusterArgs
	ip, duration, reason, grantName string
}

func newAksAccessGrantCmd(a *app) *cobra.Command {
	var args aksAccessGrantArgs
	c := a.command(&cobra.Command{Use: "grant", Short: "Admit an address or CIDR until a time-bound grant expires (default 1h, at most 7d)"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksAccessGrant(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	fl := c.Flags()
	fl.StringVar(&args.ip, "ip", "", "Address or CIDR to admit (global addresses only)")
	fl.StringVar(&args.duration, "duration", "", "How long the grant lasts, e.g. 30m or 2h (default 1h, at most 168h)")
	fl.StringVar(&args.reason, "reason", "", "Why the grant exists (shown by list and check-access)")
	fl.StringVar(&args.grantName, "grant-name", "", "Name of the grant (default: derived from the address)")
	return c
}

// runAksAccessGrant is `aks access grant`: PUT …/accessGrants/{name}.
func (a *app) runAksAccessGrant(ctx context.Context, args aksAccessGrantArgs) (any, error) {
	if err := a.required("--name/-n", "--resource-group/-g", "--ip"); err != nil {
		return nil, err
	}
	if args.duration != "" {
		if d, err := time.ParseDuration(args.duration); err != nil || d <= 0 {
			return nil, usage("argument --duration: invalid duration %q (use e.g. 30m, 2h)", args.duration)
		}
	}
	name := args.grantName
	if name == "" {
		name = grantNameFor(args.ip)
	}
	props := map[string]any{"range": strings.TrimSpace(args.ip)}
	if args.duration != "" {
		props["duration"] = args.duration
	}
	if args.reason != "" {
		props["reason"] = args.reason
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, http.MethodPut, cl.url(grantPath(cl, args.clusterArgs, name), apiAKS), map[string]any{"properties": props})
	if err != nil {
		return nil, err
	}
	return r.decode()
}

// grantNameFor derives a grant name from an address: "20-20-20-20",
// "2001-db8--1-128".
func grantNameFor(ip string) string {
	r := strings.NewReplacer(".", "-", ":", "-", "/", "-")
	return strings.Trim(r.Replace(strings.TrimSpace(ip)), "-")
}

func grantPath(cl *client, id clusterArgs, name string) string {
	p := clusterPath(cl, id) + "/accessGrants"
	if name != "" {
		p += "/" + name
	}
	return p
}
