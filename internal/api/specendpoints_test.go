package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tagwall/tagwall/internal/testutil"
)

// getShape GETs (or sends method) path and checks the answer's status and
// shape.
func (e *env) getShape(t *testing.T, method, path, reqBody string, status int, prefix string, want, absent []string) []byte {
	t.Helper()
	resp := e.do(t, method, path, reqBody)
	b := body(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	checkShape(t, method+" "+path, b, prefix, want, absent)
	return b
}

// TestFeatureRegistrationExamples mirrors Microsoft.Features 2021-07-01:
// SubscriptionFeatureRegistration PUT/GET/LIST/LISTALL/DELETE and the
// operations list.
func TestFeatureRegistrationExamples(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: 50 * time.Millisecond})
	const v = "?api-version=2021-07-01"
	one := sub + "/providers/Microsoft.Features/featureProviders/Microsoft.ContainerService/subscriptionFeatureRegistrations/EnableServiceTagAuthorizedIPPreview"
	want := []string{"id", "name", "type", "properties.subscriptionId", "properties.featureName", "properties.providerNamespace",
		"properties.state", "properties.authorizationProfile", "properties.releaseDate", "properties.approvalType",
		"properties.tenantId", "properties.displayName", "properties.documentationLink", "properties.description",
		"properties.shouldFeatureDisplayInPortal", "properties.metadata"}
	e.getShape(t, http.MethodPut, one+v, `{"properties":{}}`, http.StatusOK, "", want, nil)
	time.Sleep(100 * time.Millisecond)
	b := e.getShape(t, http.MethodGet, one+v, "", http.StatusOK, "", append(want, "properties.registrationDate"), nil)
	if st := at(decode(t, b), "properties.state"); st != "Registered" {
		t.Errorf("state = %v, want Registered", st)
	}
	// The classic view agrees.
	var f feature
	if e.call(t, http.MethodGet, featurePath+v, &f); f.Properties.State != "Registered" {
		t.Errorf("features view: %q", f.Properties.State)
	}
	e.getShape(t, http.MethodGet, sub+"/providers/Microsoft.Features/featureProviders/Microsoft.ContainerService/subscriptionFeatureRegistrations"+v,
		"", http.StatusOK, "value[*].", want, nil)
	e.getShape(t, http.MethodGet, sub+"/providers/Microsoft.Features/subscriptionFeatureRegistrations"+v, "", http.StatusOK, "value[*].", want, nil)
	if resp := e.do(t, http.MethodDelete, one+v, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	// listSubscriptionFeatures / listProviderFeatures.
	featureWant := []string{"name", "id", "type", "properties.state"}
	e.getShape(t, http.MethodGet, sub+"/providers/Microsoft.Features/features"+v, "", http.StatusOK, "value[*].", featureWant, nil)
	e.getShape(t, http.MethodGet, sub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features"+v, "", http.StatusOK, "value[*].", featureWant, nil)
	e.getShape(t, http.MethodGet, "/providers/Microsoft.Features/operations"+v, "", http.StatusOK, "value[*].",
		[]string{"name", "display.provider", "display.resource", "display.operation"}, nil)
	e.getShape(t, http.MethodGet, sub+"/providers/Microsoft.Features/featureProviders/Microsoft.ContainerService/subscriptionFeatureRegistrations/NoSuchFeature"+v,
		"", http.StatusNotFound, "", []string{"error.code", "error.message"}, nil)
}

// TestResourcesExamples mirrors Microsoft.Resources: PATCH of a resource
// group (raw and ResourceGroupsClient.Update) and the tenant-scope
// providers (GetNamedProviderAtTenant; ProvidersClient *AtTenantScope).
func TestResourcesExamples(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.putGroup(t, "rt")
	groupWant := []string{"id", "name", "type", "location", "properties.provisioningState", "tags.stage"}
	e.getShape(t, http.MethodPatch, sub+"/resourceGroups/rt?api-version=2024-11-01", `{"tags":{"stage":"raw"}}`, http.StatusOK, "", groupWant, nil)
	e.getShape(t, http.MethodPatch, sub+"/resourceGroups/missing?api-version=2024-11-01", `{"tags":{}}`, http.StatusNotFound, "", []string{"error.code"}, nil)
	cred, opts := testutil.StaticToken(testToken), e.clientOptions()
	groups, err := armresources.NewResourceGroupsClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := groups.Update(context.Background(), "rt", armresources.ResourceGroupPatchable{Tags: map[string]*string{"stage": to.Ptr("sdk")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *g.Tags["stage"] != "sdk" || *g.Location != "westus2" {
		t.Errorf("SDK update: tags %v location %s", g.Tags, *g.Location)
	}
	out, _ := json.Marshal(g.ResourceGroup)
	checkShape(t, "SDK group update", out, "", groupWant, nil)

	providerWant := []string{"id", "namespace", "resourceTypes[*].resourceType", "resourceTypes[*].locations[*]",
		"resourceTypes[*].apiVersions[*]", "resourceTypes[*].capabilities", "resourceTypes[*].defaultApiVersion"}
	e.getShape(t, http.MethodGet, "/providers/Microsoft.ContainerService?api-version=2024-11-01", "", http.StatusOK, "", providerWant,
		[]string{"registrationState"})
	e.getShape(t, http.MethodGet, "/providers?api-version=2024-11-01", "", http.StatusOK, "value[*].", providerWant, nil)
	e.getShape(t, http.MethodGet, "/providers/Microsoft.Nope?api-version=2024-11-01", "", http.StatusNotFound, "", []string{"error.code"}, nil)
	// GetProviders (subscription scope) keeps its registration state.
	e.getShape(t, http.MethodGet, sub+"/providers?api-version=2024-11-01", "", http.StatusOK, "value[*].",
		[]string{"id", "namespace", "registrationState", "registrationPolicy", "resourceTypes[*].resourceType",
			"resourceTypes[*].locations[*]", "resourceTypes[*].apiVersions[*]"}, nil)
	providers, err := armresources.NewProvidersClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := providers.GetAtTenantScope(context.Background(), "Microsoft.ContainerService", nil)
	if err != nil || *p.Namespace != "Microsoft.ContainerService" {
		t.Fatalf("SDK GetAtTenantScope: %v", err)
	}
	pager := providers.NewListAtTenantScopePager(nil)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n == 0 {
		t.Error("SDK ListAtTenantScope: no provider")
	}
}

// TestServiceTagExamples mirrors ServiceTagsList and
// ServiceTagInformationListResult (plus WithTagname and
// WithNoAddressPrefixes), raw and with armnetwork's clients.
func TestServiceTagExamples(t *testing.T) {
	e := newEnv(t, envOpts{})
	const v = "?api-version=2025-01-01"
	loc := sub + "/providers/Microsoft.Network/locations/westeurope/"
	e.getShape(t, http.MethodGet, loc+"serviceTags"+v, "", http.StatusOK, "", []string{"name", "id", "type", "changeNumber", "cloud",
		"values[*].name", "values[*].id", "values[*].properties.changeNumber", "values[*].properties.region",
		"values[*].properties.systemService", "values[*].properties.addressPrefixes[*]"}, nil)
	infoWant := []string{"value[*].name", "value[*].id", "value[*].properties.changeNumber", "value[*].properties.region",
		"value[*].properties.systemService", "value[*].properties.addressPrefixes[*]"}
	b := e.getShape(t, http.MethodGet, loc+"serviceTagDetails"+v+"&tagName=azurecloud", "", http.StatusOK, "", infoWant, nil)
	var one struct {
		Value []struct {
			Name string `json:"name"`
		} `json:"value"`
	}
	_ = json.Unmarshal(b, &one)
	if len(one.Value) != 1 || one.Value[0].Name != "AzureCloud" {
		t.Errorf("tagName=azurecloud: %+v", one.Value)
	}
	e.getShape(t, http.MethodGet, loc+"serviceTagDetails"+v+"&noAddressPrefixes=true", "", http.StatusOK, "", infoWant[:5],
		[]string{"value[*].properties.addressPrefixes"})

	client, err := armnetwork.NewServiceTagInformationClient(testSub, testutil.StaticToken(testToken), e.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	pager := client.NewListPager("westeurope", &armnetwork.ServiceTagInformationClientListOptions{TagName: to.Ptr("AzureCloud")})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range page.Value {
			n++
			if *info.Name != "AzureCloud" || len(info.Properties.AddressPrefixes) == 0 {
				t.Errorf("SDK serviceTagDetails: %s with %d prefixes", *info.Name, len(info.Properties.AddressPrefixes))
			}
		}
	}
	if n != 1 {
		t.Errorf("SDK serviceTagDetails tagName=AzureCloud: %d tags", n)
	}
	all := client.NewListPager("westeurope", &armnetwork.ServiceTagInformationClientListOptions{NoAddressPrefixes: to.Ptr(true)})
	pages, total := 0, 0
	for all.More() {
		page, err := all.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(page.Value)
	}
	if total < 100 || pages < 2 {
		t.Errorf("SDK serviceTagDetails: %d tags over %d pages, want every tag, paged", total, pages)
	}
}

// TestContainerServiceOperations mirrors Operation_List.json, raw and with
// armcontainerservice's OperationsClient.
func TestContainerServiceOperations(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.getShape(t, http.MethodGet, "/providers/Microsoft.ContainerService/operations"+exampleVersion, "", http.StatusOK, "value[*].",
		[]string{"name", "origin", "display.provider", "display.resource", "display.operation", "display.description"}, nil)
	ops, err := armcontainerservice.NewOperationsClient(testutil.StaticToken(testToken), e.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	pager := ops.NewListPager(nil)
	found := false
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range page.Value {
			found = found || *op.Name == "Microsoft.ContainerService/managedClusters/write"
		}
	}
	if !found {
		t.Error("SDK operations: no managedClusters/write")
	}
}
