package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/testutil"
)

type bearer struct{}

func (bearer) Do(req *policy.Request) (*http.Response, error) {
	req.Raw().Header.Set("Authorization", "Bearer "+testToken)
	return req.Next()
}

// pipeline is a raw azcore pipeline for the endpoints without an SDK client.
func (e *env) pipeline() runtime.Pipeline {
	o := e.clientOptions().ClientOptions
	return runtime.NewPipeline("tagwalltest", "v0", runtime.PipelineOptions{PerCall: []policy.Policy{bearer{}}}, &o)
}

func (e *env) call(t *testing.T, method, path string, out any) int {
	t.Helper()
	req, err := runtime.NewRequest(context.Background(), method, e.srv.URL+path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.pipeline().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := runtime.UnmarshalAsJSON(resp, out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

type feature struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties struct {
		State string `json:"state"`
	} `json:"properties"`
}

const featurePath = "/subscriptions/" + testSub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableServiceTagAuthorizedIPPreview"

func clusterParams(ranges ...string) armcontainerservice.ManagedCluster {
	return armcontainerservice.ManagedCluster{
		Location: to.Ptr("eastus"),
		Identity: &armcontainerservice.ManagedClusterIdentity{Type: to.Ptr(armcontainerservice.ResourceIdentityTypeSystemAssigned)},
		Properties: &armcontainerservice.ManagedClusterProperties{
			DNSPrefix:         to.Ptr("seed"),
			KubernetesVersion: to.Ptr(""),
			AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{{
				Name: to.Ptr("nodepool1"), Count: to.Ptr[int32](1), VMSize: to.Ptr("Standard_DS2_v2"),
				Mode: to.Ptr(armcontainerservice.AgentPoolModeSystem),
			}},
			APIServerAccessProfile: &armcontainerservice.ManagedClusterAPIServerAccessProfile{AuthorizedIPRanges: to.SliceOfPtrs(ranges...)},
		},
	}
}

// wantRefused asserts an SDK error is an ARM 400 with code and a message
// containing msg.
func wantRefused(t *testing.T, err error, code, msg string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a ResponseError %s", err, code)
	}
	if re.StatusCode != http.StatusBadRequest || re.ErrorCode != code {
		t.Fatalf("got %d %s, want 400 %s: %v", re.StatusCode, re.ErrorCode, code, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %v does not contain %q", err, msg)
	}
}

func poll() *runtime.PollUntilDoneOptions {
	return &runtime.PollUntilDoneOptions{Frequency: 50 * time.Millisecond}
}

// TestSeedScenario runs the seed's order with the real Azure SDK clients.
func TestSeedScenario(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	opts := e.clientOptions()
	cred := testutil.StaticToken(testToken)
	groups, err := armresources.NewResourceGroupsClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groups.CreateOrUpdate(ctx, "myResourceGroup", armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil); err != nil {
		t.Fatal(err)
	}
	if g, err := groups.Get(ctx, "MYRESOURCEGROUP", nil); err != nil || *g.Name != "myResourceGroup" {
		t.Fatalf("get group: %v", err)
	}
	mcs, err := armcontainerservice.NewManagedClustersClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	create := func() error {
		_, err := mcs.BeginCreateOrUpdate(ctx, "myResourceGroup", "myAKSCluster", clusterParams("AzureCloud", "20.20.20.20"), nil)
		return err
	}
	// 1. Before the feature is registered.
	// AKS: PreviewFeatureNotRegistered "Preview feature <ns>/<flag> not
	// registered." (Azure/ResourceModules #820).
	wantRefused(t, create(), "PreviewFeatureNotRegistered", "Preview feature "+rangespec.ServiceTagFeature+" not registered.")

	// 2. While Registering.
	var f feature
	if code := e.call(t, http.MethodPost, featurePath+"/register?api-version=2021-07-01", &f); code != 200 || f.Properties.State != "Registering" {
		t.Fatalf("register: %d %+v", code, f)
	}
	if f.Name != "Microsoft.ContainerService/EnableServiceTagAuthorizedIPPreview" || f.Type != "Microsoft.Features/providers/features" ||
		f.ID != featurePath {
		t.Fatalf("feature shape: %+v", f)
	}
	wantRefused(t, create(), "PreviewFeatureNotRegistered", "Preview feature "+rangespec.ServiceTagFeature+" not registered.")

	// 3. Registered, provider not re-registered.
	deadline := time.Now().Add(10 * time.Second)
	for f.Properties.State != "Registered" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		e.call(t, http.MethodGet, featurePath+"?api-version=2021-07-01", &f)
	}
	if f.Properties.State != "Registered" {
		t.Fatalf("feature state %q, want Registered", f.Properties.State)
	}
	// Registered but not propagated: AKS's older BadRequest "Feature … is
	// not enabled. Please see https://aka.ms/aks/previews for how to enable
	// features." (Azure/AKS #2587, #2515).
	wantRefused(t, create(), "BadRequest", "Feature "+rangespec.ServiceTagFeature+" is not enabled. Please see https://aka.ms/aks/previews for how to enable features.")

	// 4. Provider re-registered: accepted.
	providers, err := armresources.NewProvidersClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := providers.Register(ctx, "Microsoft.ContainerService", nil); err != nil {
		t.Fatal(err)
	}
	p, err := providers.Get(ctx, "microsoft.containerservice", nil)
	if err != nil || *p.RegistrationState != "Registered" {
		t.Fatalf("provider: %v %v", err, p.RegistrationState)
	}
	poller, err := mcs.BeginCreateOrUpdate(ctx, "myResourceGroup", "myAKSCluster", clusterParams("AzureCloud", "20.20.20.20"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := poller.PollUntilDone(ctx, poll())
	if err != nil {
		t.Fatal(err)
	}
	mc := res.ManagedCluster
	if *mc.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("provisioningState %q", *mc.Properties.ProvisioningState)
	}
	if got := values(mc.Properties.APIServerAccessProfile.AuthorizedIPRanges); strings.Join(got, ",") != "AzureCloud,20.20.20.20/32" {
		t.Fatalf("ranges %v", got)
	}
	fqdn := *mc.Properties.Fqdn
	if *mc.Properties.KubernetesVersion == "" || mc.Properties.ServicePrincipalProfile == nil ||
		mc.Properties.IdentityProfile["kubeletidentity"] == nil || mc.Properties.NetworkProfile == nil {
		t.Fatalf("fields az needs are missing: %+v", mc.Properties)
	}
	r, ok := e.route(fqdn)
	if !ok {
		t.Fatalf("no route for %s", fqdn)
	}
	azureCloud, _ := publicCatalog(t).Lookup("AzureCloud")
	for _, c := range []struct {
		addr string
		want bool
	}{{"20.20.20.20", true}, {azureCloud.Prefixes[0].Addr().String(), true}, {"8.8.8.8", false}} {
		if got := r.Allow.Contains(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Contains(%s) = %v, want %v", c.addr, got, c.want)
		}
	}

	// Get, lists, credentials.
	got, err := mcs.Get(ctx, "myresourcegroup", "myAKSCluster", nil)
	if err != nil || *got.Name != "myAKSCluster" || *got.Properties.Fqdn != fqdn {
		t.Fatalf("get: %v", err)
	}
	var n int
	for pager := mcs.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	for pager := mcs.NewListByResourceGroupPager("myResourceGroup", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 2 {
		t.Fatalf("listed %d clusters, want 1 + 1", n)
	}
	creds, err := mcs.ListClusterUserCredentials(ctx, "myResourceGroup", "myAKSCluster", nil)
	if err != nil || len(creds.Kubeconfigs) != 1 || !strings.Contains(string(creds.Kubeconfigs[0].Value), fqdn) {
		t.Fatalf("credentials: %v %+v", err, creds)
	}

	// Update replaces the list; the fqdn stays.
	poller, err = mcs.BeginCreateOrUpdate(ctx, "myResourceGroup", "myAKSCluster", clusterParams("30.30.30.0/24"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = poller.PollUntilDone(ctx, poll()); err != nil {
		t.Fatal(err)
	}
	if *res.Properties.Fqdn != fqdn {
		t.Fatalf("fqdn changed: %s → %s", fqdn, *res.Properties.Fqdn)
	}
	r, _ = e.route(fqdn)
	if r.Allow.Contains(netip.MustParseAddr("20.20.20.20")) || !r.Allow.Contains(netip.MustParseAddr("30.30.30.7")) {
		t.Fatal("route does not reflect the update")
	}

	// Service tags discovery: the SDK makes one call and never follows
	// nextLink, so the whole document comes in one response.
	tagsClient, err := armnetwork.NewServiceTagsClient(testSub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tagsClient.List(ctx, "eastus", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := len(publicCatalog(t).Document().Tags)
	if *st.ChangeNumber != "373" || *st.Cloud != "Public" || st.NextLink != nil || len(st.Values) != want || want < 2500 {
		t.Fatalf("service tags: cn %v cloud %v next %v n %d, want %d tags and no nextLink", *st.ChangeNumber, *st.Cloud, st.NextLink, len(st.Values), want)
	}
	if !slices.ContainsFunc(st.Values, func(v *armnetwork.ServiceTagInformation) bool {
		return *v.Name == "AzureCloud" && len(v.Properties.AddressPrefixes) > 1000
	}) {
		t.Fatal("AzureCloud missing from the one-call answer")
	}

	// Paging on request: $top pages, each nextLink followed.
	total, pages := 0, 0
	for next := e.srv.URL + "/subscriptions/" + testSub + "/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2024-05-01&$top=700"; next != ""; pages++ {
		req, _ := runtime.NewRequest(ctx, http.MethodGet, next)
		resp, err := e.pipeline().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page armnetwork.ServiceTagsListResult
		if err := runtime.UnmarshalAsJSON(resp, &page); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(page.Values) > 700 {
			t.Fatalf("page of %d tags, asked for 700", len(page.Values))
		}
		total += len(page.Values)
		next = ""
		if page.NextLink != nil {
			next = *page.NextLink
		}
	}
	if total != want || pages != (want+699)/700 {
		t.Fatalf("paged %d tags in %d pages, want %d", total, pages, want)
	}

	// Delete.
	dp, err := mcs.BeginDelete(ctx, "myResourceGroup", "myAKSCluster", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, poll()); err != nil {
		t.Fatal(err)
	}
	_, err = mcs.Get(ctx, "myResourceGroup", "myAKSCluster", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "ResourceNotFound" {
		t.Fatalf("get after delete: %v", err)
	}
	if _, ok := e.route(fqdn); ok {
		t.Fatal("route still installed after delete")
	}
}

func values(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
