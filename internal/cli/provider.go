package cli

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// providerPollPeriod is how often `provider register --wait` polls, as az.
const providerPollPeriod = 10 * time.Second

var providerSchema = &schema{
	fields: []string{"id", "namespace", "providerAuthorizationConsentState", "registrationPolicy", "registrationState", "resourceTypes"},
	children: map[string]*schema{"resourceTypes": {fields: []string{
		"aliases", "apiProfiles", "apiVersions", "capabilities", "defaultApiVersion",
		"locationMappings", "locations", "properties", "resourceType", "zoneMappings"}}},
}

func newProviderCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "provider", Short: "Manage resource providers (az provider)"}
	var ns string
	var wait bool
	nsFlag := func(c *cobra.Command) {
		c.Flags().StringVarP(&ns, "namespace", "n", "", "The resource namespace, e.g. Microsoft.ContainerService")
	}
	update := func(verb, target, progress string) action {
		return func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--namespace/-n"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			path := cl.sub() + "/providers/" + ns
			r, err := cl.do(ctx, http.MethodPost, cl.url(path+"/"+verb, apiResources), nil)
			if err != nil {
				return nil, err
			}
			v, err := r.decode()
			if err != nil {
				return nil, err
			}
			if providerState(v) == target {
				return nil, nil
			}
			if !wait {
				a.warn(c, "%s is still on-going. You can monitor using 'tagwall provider show -n %s'", progress, ns)
				return nil, nil
			}
			p := a.poller(c, cl)
			defer p.done()
			for i := 0; providerState(v) != target; i++ {
				p.tick(i)
				p.sleep(providerPollPeriod)
				if v, err = cl.getJSON(ctx, path, apiResources); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}
	}
	reg := &cobra.Command{Use: "register", Short: "Register a provider", RunE: a.run(nil, update("register", "Registered", "Registering"))}
	unreg := &cobra.Command{Use: "unregister", Short: "Unregister a provider", RunE: a.run(nil, update("unregister", "Unregistered", "Unregistering"))}
	for _, c := range []*cobra.Command{reg, unreg} {
		nsFlag(c)
		c.Flags().BoolVar(&wait, "wait", false, "Wait for the operation to finish (polls every 10 s)")
		c.Flags().Bool("accept-terms", false, "Accepted and ignored (az compatibility)")
		c.Flags().Bool("consent-to-permissions", false, "Accepted and ignored (az compatibility)")
	}
	show := &cobra.Command{Use: "show", Short: "Get the details of a provider", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--namespace/-n"); err != nil {
				return nil, err
			}
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			v, err := cl.getJSON(ctx, cl.sub()+"/providers/"+ns, apiResources)
			return providerSchema.apply(v), err
		})}
	nsFlag(show)
	list := &cobra.Command{Use: "list", Short: "List providers", RunE: a.run(nil,
		func(ctx context.Context, c *cobra.Command) (any, error) {
			cl, err := a.client(c)
			if err != nil {
				return nil, err
			}
			vals, err := cl.listValues(ctx, cl.sub()+"/providers", apiResources)
			return providerSchema.applyList(vals), err
		})}
	g.AddCommand(reg, unreg, show, list)
	return g
}

func providerState(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["registrationState"].(string)
	return strings.TrimSpace(s)
}
