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

// providerArgs are the flags of `provider register|unregister|show`.
type providerArgs struct {
	namespace string
	wait      bool
}

func providerNamespaceFlag(c *cobra.Command, args *providerArgs) {
	c.Flags().StringVarP(&args.namespace, "namespace", "n", "", "The resource namespace, e.g. Microsoft.ContainerService")
}

// providerUpdateFlags are the flags of register and unregister.
func providerUpdateFlags(c *cobra.Command, args *providerArgs) {
	providerNamespaceFlag(c, args)
	c.Flags().BoolVar(&args.wait, "wait", false, "Wait for the operation to finish (polls every 10 s)")
	c.Flags().Bool("accept-terms", false, "Accepted and ignored (az compatibility)")
	c.Flags().Bool("consent-to-permissions", false, "Accepted and ignored (az compatibility)")
}

// updateProvider is az's _update_provider: POST verb; done when the answer
// is already target, else a warning, or with --wait a poll every 10 s.
func (a *app) updateProvider(ctx context.Context, args providerArgs, verb, target, progress string) (any, error) {
	if err := a.required("--namespace/-n"); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	path := cl.sub() + "/providers/" + args.namespace
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
	if !args.wait {
		a.warn("%s is still on-going. You can monitor using 'tagwall provider show -n %s'", progress, args.namespace)
		return nil, nil
	}
	p := a.poller(cl)
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

func providerState(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["registrationState"].(string)
	return strings.TrimSpace(s)
}
