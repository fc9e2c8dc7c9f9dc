package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// serviceTagAdminPath and serviceTagAdminVersion address the API server's
// service-tag administration resource (api.ServiceTagAdminPath,
// api.ServiceTagAdminVersions; the API test drives these commands, so a
// drift fails it).
const (
	serviceTagAdminPath    = "/providers/Tagwall.Admin/serviceTags"
	serviceTagAdminVersion = "2026-12-01"
)

// serviceTagsAdminArgs are the flags and argument of the administration
// commands.
type serviceTagsAdminArgs struct {
	source       string
	tag          string
	changeNumber int64
}

// ServiceTagAdminCommands returns `status`, `accept`, `pin` and `unpin`:
// the administration of a running `tagwall serve`'s service-tag catalog
// through its API (administrator token). The binary adds them to its
// `servicetags` group. Each prints the catalog's status after the
// operation (JSON by default, the global --output and --query apply).
func ServiceTagAdminCommands(env Env) []*cobra.Command {
	newCmd := func(c *cobra.Command, body func(*app, context.Context, serviceTagsAdminArgs) (any, error), args *serviceTagsAdminArgs) *cobra.Command {
		a := &app{env: env}
		a.command(c, nil, func(ctx context.Context) (any, error) { return body(a, ctx, *args) })
		if c.Use != "status" && c.Use != "accept" {
			c.Args = func(_ *cobra.Command, pos []string) error {
				if len(pos) != 1 {
					return usage("%s: want exactly one TAG argument", c.Name())
				}
				args.tag = pos[0]
				return nil
			}
		}
		a.addGlobalFlags(c)
		c.SetFlagErrorFunc(FlagError)
		return c
	}
	var st, acc, pin, unpin serviceTagsAdminArgs
	status := newCmd(&cobra.Command{Use: "status", Short: "Show the service-tag catalog of the running server: the document in force per source, held documents, pins, counters"},
		(*app).runServiceTagsStatus, &st)
	accept := newCmd(&cobra.Command{Use: "accept", Short: "Install the document held for a source (it failed the update checks), overriding them"},
		(*app).runServiceTagsAccept, &acc)
	accept.Flags().StringVar(&acc.source, "source", "", "source location as `status` shows it (default: the only source)")
	pinCmd := newCmd(&cobra.Command{Use: "pin TAG --change-number N", Short: "Keep a service tag at a version seen before until unpinned"},
		(*app).runServiceTagsPin, &pin)
	pinCmd.Flags().Int64Var(&pin.changeNumber, "change-number", 0, "the tag's own changeNumber to keep (required)")
	unpinCmd := newCmd(&cobra.Command{Use: "unpin TAG", Short: "Release a pin: the tag follows its source again"},
		(*app).runServiceTagsUnpin, &unpin)
	return []*cobra.Command{status, accept, pinCmd, unpinCmd}
}

// adminDo sends one administration request and decodes the status.
func (a *app) adminDo(ctx context.Context, method, path string, body any) (any, error) {
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, method, cl.url(serviceTagAdminPath+path, serviceTagAdminVersion), body)
	if err != nil {
		return nil, err
	}
	return r.decode()
}

// runServiceTagsStatus is `servicetags status`.
func (a *app) runServiceTagsStatus(ctx context.Context, _ serviceTagsAdminArgs) (any, error) {
	return a.adminDo(ctx, http.MethodGet, "", nil)
}

// runServiceTagsAccept is `servicetags accept [--source S]`.
func (a *app) runServiceTagsAccept(ctx context.Context, args serviceTagsAdminArgs) (any, error) {
	return a.adminDo(ctx, http.MethodPost, "/accept", map[string]string{"source": args.source})
}

// runServiceTagsPin is `servicetags pin TAG --change-number N`.
func (a *app) runServiceTagsPin(ctx context.Context, args serviceTagsAdminArgs) (any, error) {
	if args.changeNumber <= 0 {
		return nil, usage("the following arguments are required: --change-number (a positive integer, the tag's changeNumber; `servicetags status` and `servicetags show` list them)")
	}
	return a.adminDo(ctx, http.MethodPut, "/pins/"+url.PathEscape(args.tag), map[string]int64{"changeNumber": args.changeNumber})
}

// runServiceTagsUnpin is `servicetags unpin TAG`.
func (a *app) runServiceTagsUnpin(ctx context.Context, args serviceTagsAdminArgs) (any, error) {
	return a.adminDo(ctx, http.MethodDelete, "/pins/"+url.PathEscape(args.tag), nil)
}
