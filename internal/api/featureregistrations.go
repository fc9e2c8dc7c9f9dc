package api

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

// registerSpecEndpoints adds the endpoints the SDKs expose beside the
// managed cluster (issue 19): subscriptionFeatureRegistrations and the
// Microsoft.Features operations (this file), tenant-scope providers and
// the Microsoft.ContainerService operations (tenantproviders.go), PATCH
// of a resource group (grouppatch.go) and serviceTagDetails
// (servicetagdetails.go).
func (s *server) registerSpecEndpoints() {
	const reg = "subscriptions/{sub}/providers/Microsoft.Features/"
	one := reg + "featureProviders/{ns}/subscriptionFeatureRegistrations/{feature}"
	v := featureRegistrationVersions
	s.add(http.MethodGet, reg+"subscriptionFeatureRegistrations", v, s.listFeatureRegistrations)
	s.add(http.MethodGet, reg+"featureProviders/{ns}/subscriptionFeatureRegistrations", v, s.listFeatureRegistrations)
	s.add(http.MethodGet, one, v, s.getFeatureRegistration)
	s.add(http.MethodPut, one, v, s.putFeatureRegistration)
	s.add(http.MethodDelete, one, v, s.deleteFeatureRegistration)
	s.add(http.MethodGet, "providers/Microsoft.Features/operations", arm.FeaturesVersions, s.listOperations(featuresOperations))
	s.registerTenantProviders()
	s.registerGroupPatch()
	s.registerServiceTagDetails()
}

// featureRegistrationVersions are the Microsoft.Features versions that
// have subscriptionFeatureRegistrations (it came with 2021-07-01).
var featureRegistrationVersions = []string{"2021-07-01", "2025-03-01"}

// featureRegistration is Microsoft.Features' SubscriptionFeatureRegistration
// (2021-07-01).
type featureRegistration struct {
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	Type       string                   `json:"type"`
	Properties featureRegistrationProps `json:"properties"`
}

type featureRegistrationProps struct {
	TenantID                     string            `json:"tenantId"`
	SubscriptionID               string            `json:"subscriptionId"`
	FeatureName                  string            `json:"featureName"`
	DisplayName                  string            `json:"displayName"`
	ProviderNamespace            string            `json:"providerNamespace"`
	State                        string            `json:"state"`
	AuthorizationProfile         map[string]any    `json:"authorizationProfile"`
	Metadata                     map[string]string `json:"metadata"`
	ReleaseDate                  string            `json:"releaseDate"`
	RegistrationDate             string            `json:"registrationDate,omitempty"`
	DocumentationLink            string            `json:"documentationLink"`
	ApprovalType                 string            `json:"approvalType"`
	ShouldFeatureDisplayInPortal bool              `json:"shouldFeatureDisplayInPortal"`
	Description                  string            `json:"description"`
}

// featureReleaseDate is when the AKS service-tag preview was published.
const featureReleaseDate = "2024-11-19T00:00:00Z"

func (s *server) registrationBody(c *call, f state.Feature) featureRegistration {
	p := featureRegistrationProps{
		TenantID: s.tenantOf(c), SubscriptionID: c.v("sub"), FeatureName: f.Name, DisplayName: f.Name,
		ProviderNamespace: f.Namespace, State: f.State, AuthorizationProfile: map[string]any{},
		Metadata: map[string]string{}, ReleaseDate: featureReleaseDate,
		DocumentationLink: "https://aka.ms/aks/previews", ApprovalType: "AutoApproval", Description: f.Namespace + "/" + f.Name,
	}
	if !f.RegisteredAt.IsZero() {
		p.RegistrationDate = f.RegisteredAt.UTC().Format(time.RFC3339Nano)
	}
	return featureRegistration{
		ID: "/subscriptions/" + c.v("sub") + "/providers/Microsoft.Features/featureProviders/" + f.Namespace +
			"/subscriptionFeatureRegistrations/" + f.Name,
		Name: f.Name, Type: "Microsoft.Features/featureProviders/subscriptionFeatureRegistrations", Properties: p,
	}
}

// tenantOf is the tenant of the call's subscription ("" when unknown).
func (s *server) tenantOf(c *call) string {
	subs, err := s.subscriptions(c)
	if err != nil {
		return ""
	}
	for _, sub := range subs {
		if strings.EqualFold(sub.ID, c.v("sub")) {
			return sub.TenantID
		}
	}
	return ""
}

func (s *server) getFeatureRegistration(c *call) error {
	f, _, err := s.loadFeature(c)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, s.registrationBody(c, f))
	return nil
}

// putFeatureRegistration registers the feature (as POST …/register does):
// Registering, then Registered after Config.FeatureDelay.
func (s *server) putFeatureRegistration(c *call) error {
	f, err := s.transitionFeature(c, true)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, s.registrationBody(c, f))
	return nil
}

// deleteFeatureRegistration unregisters the feature and answers 200 with
// no body, as the 2021-07-01 Delete does.
func (s *server) deleteFeatureRegistration(c *call) error {
	if _, err := s.transitionFeature(c, false); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// listFeatureRegistrations lists the registrations of one provider
// namespace, or of all of them: only features a subscription has stored
// (registered at least once) are registrations.
func (s *server) listFeatureRegistrations(c *call) error {
	kvs, _, err := s.cfg.Store.List(c.r.Context(), state.FeaturesPrefix+strings.ToLower(c.v("sub"))+"/")
	if err != nil {
		return err
	}
	out := []featureRegistration{}
	for _, kv := range kvs {
		var f state.Feature
		if err := state.Decode(kv.Key, kv.Value, &f); err != nil {
			return err
		}
		if c.v("ns") != "" && !strings.EqualFold(f.Namespace, c.v("ns")) {
			continue
		}
		out = append(out, s.registrationBody(c, f.Effective(s.now())))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// operation is one entry of a provider's operations list.
type operation struct {
	Name    string           `json:"name"`
	Display operationDisplay `json:"display"`
	Origin  string           `json:"origin,omitempty"`
}

type operationDisplay struct {
	Provider    string `json:"provider"`
	Resource    string `json:"resource"`
	Operation   string `json:"operation"`
	Description string `json:"description,omitempty"`
}

// featuresOperations are the Microsoft.Features operations tagwall serves.
var featuresOperations = []operation{
	{"Microsoft.Features/features/read", operationDisplay{"Microsoft Features", "Features", "Read", "Lists the features of a subscription"}, ""},
	{"Microsoft.Features/providers/features/read", operationDisplay{"Microsoft Features", "Features", "Read", "Gets a feature of a subscription in a provider namespace"}, ""},
	{"Microsoft.Features/providers/features/register/action", operationDisplay{"Microsoft Features", "Features", "Register", "Registers a feature for a subscription"}, ""},
	{"Microsoft.Features/providers/features/unregister/action", operationDisplay{"Microsoft Features", "Features", "Unregister", "Unregisters a feature for a subscription"}, ""},
	{"Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/read", operationDisplay{"Microsoft Features", "Subscription Feature Registrations", "Read", "Gets a subscription feature registration"}, ""},
	{"Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/write", operationDisplay{"Microsoft Features", "Subscription Feature Registrations", "Write", "Creates a subscription feature registration"}, ""},
	{"Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/delete", operationDisplay{"Microsoft Features", "Subscription Feature Registrations", "Delete", "Deletes a subscription feature registration"}, ""},
}

// listOperations answers a provider's operations list (one page).
func (s *server) listOperations(ops []operation) handler {
	return func(c *call) error {
		arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": ops})
		return nil
	}
}
