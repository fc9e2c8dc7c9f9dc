package api_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

const (
	externalPath     = "/subscriptions/" + testSub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableExternalServiceTagsPreview"
	providerPath     = "/subscriptions/" + testSub + "/providers/Microsoft.ContainerService/register?api-version=2021-04-01"
	discoveryPath    = "/subscriptions/" + testSub + "/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2023-09-01"
	msgNotRegistered = "Preview feature Microsoft.ContainerService/EnableExternalServiceTagsPreview not registered."
	msgNotEnabled    = "Feature Microsoft.ContainerService/EnableExternalServiceTagsPreview is not enabled. Please see https://aka.ms/aks/previews for how to enable features."
	msgFiveTags      = `authorizedIPRanges[4] "Fastly": at most 4 service tags are allowed in authorizedIPRanges with Microsoft.ContainerService/EnableExternalServiceTagsPreview; "AzureCloud", "GitHub.Actions", "GitHub.Hooks" and "AWS.EC2.us-east-1" are already given`
	msgTwoAzureExt   = `authorizedIPRanges[2] "Storage": only one Azure service tag is allowed in authorizedIPRanges; "AzureCloud" is already given`
)

// feedsCatalog is Azure Public merged with GitHub meta, AWS and Fastly, as
// a Set with those feeds serves it.
func feedsCatalog(tb testing.TB) *servicetag.Catalog {
	tb.Helper()
	docs := []*servicetag.Document{publicCatalog(tb).Document()}
	for _, name := range []string{"github-meta-2025-07-21.json", "aws-ip-ranges-2025-07-24T07-33-30.json", "fastly-public-ip-list-2024-10-08.json"} {
		data, err := os.ReadFile(testutil.ServiceTags(tb, name))
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := servicetag.ParseFeed(name, data)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, doc)
	}
	merged, err := servicetag.MergeFeeds(docs...)
	if err != nil {
		tb.Fatal(err)
	}
	return servicetag.NewCatalog(merged)
}

// TestExternalTagsFeature: a tag of another cloud's feed is refused until
// EnableExternalServiceTagsPreview is Registered and the provider
// re-registered (the seed flag's mechanics and AKS's two answers:
// PreviewFeatureNotRegistered, then BadRequest "is not enabled"), each
// naming the feature; then up to 4 tags are accepted, of which one Azure tag, and a
// fifth is refused. The discovery API never shows the other feeds.
func TestExternalTagsFeature(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: 50 * time.Millisecond})
	e.catalog.Store(feedsCatalog(t))
	e.createGroup(t)
	put := func(ranges ...string) *http.Response {
		return e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody(ranges, nil))
	}
	refused := func(step string, resp *http.Response, wantCode, want string) {
		t.Helper()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400", step, resp.StatusCode)
		}
		if code, msg := armError(t, resp); code != wantCode || msg != want {
			t.Fatalf("%s: %s %q\nwant %s %q", step, code, msg, wantCode, want)
		}
	}
	refused("no feature", put("GitHub.Actions"), "PreviewFeatureNotRegistered", msgNotRegistered)

	if st := featureState(t, e, http.MethodPost, externalPath+"/register?api-version=2021-07-01"); st != "Registering" {
		t.Fatalf("register: state %q, want Registering", st)
	}
	refused("registering", put("GitHub.Actions"), "PreviewFeatureNotRegistered", msgNotRegistered)
	waitRegistered(t, e, externalPath)
	refused("registered, provider not re-registered", put("GitHub.Actions"), "BadRequest", msgNotEnabled)
	if r := e.do(t, http.MethodPost, providerPath, ""); r.StatusCode != 200 {
		t.Fatalf("register provider: %d", r.StatusCode)
	}

	resp := put("github.actions", "20.20.20.20")
	if resp.StatusCode != 201 {
		code, msg := armError(t, resp)
		t.Fatalf("GitHub.Actions with the feature: %d %s %s", resp.StatusCode, code, msg)
	}
	access := readJSON(t, resp)["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)
	if got := fmt.Sprint(access["authorizedIPRanges"]); got != "[GitHub.Actions 20.20.20.20/32]" {
		t.Fatalf("ranges %s", got)
	}
	// AzureCloud needs the seed's flag, which this subscription has not registered.
	if r := put("AzureCloud"); r.StatusCode != 400 {
		t.Fatalf("azure tag without the seed's flag: %d", r.StatusCode)
	} else if _, msg := armError(t, r); msg != rangespec.MsgPreviewFeatureNotRegistered {
		t.Fatalf("azure tag without the seed's flag: %q", msg)
	}
	featureState(t, e, http.MethodPost, featurePath+"/register?api-version=2021-07-01")
	waitRegistered(t, e, featurePath)
	if r := e.do(t, http.MethodPost, providerPath, ""); r.StatusCode != 200 {
		t.Fatalf("register provider: %d", r.StatusCode)
	}
	waitPut(t, e)
	if r := put("AzureCloud", "GitHub.Actions", "GitHub.Hooks", "AWS.EC2.us-east-1"); r.StatusCode != 200 {
		code, msg := armError(t, r)
		t.Fatalf("four tags: %d %s %s", r.StatusCode, code, msg)
	}
	waitPut(t, e)
	refused("five tags", put("AzureCloud", "GitHub.Actions", "GitHub.Hooks", "AWS.EC2.us-east-1", "Fastly"), "InvalidParameter", msgFiveTags)
	refused("two azure tags", put("GitHub.Actions", "AzureCloud", "Storage"), "InvalidParameter", msgTwoAzureExt)

	d := readJSON(t, e.do(t, http.MethodGet, discoveryPath, ""))
	if d["cloud"] != "Public" || d["changeNumber"] != fmt.Sprint(publicCatalog(t).Document().ChangeNumber) {
		t.Fatalf("discovery cloud %v, changeNumber %v", d["cloud"], d["changeNumber"])
	}
	for _, v := range d["values"].([]any) {
		if name := v.(map[string]any)["name"].(string); strings.HasPrefix(name, "GitHub.") || strings.HasPrefix(name, "AWS") || name == "Fastly" {
			t.Fatalf("discovery API shows %s", name)
		}
	}
}

// featureState sends a Microsoft.Features request and returns the state.
func featureState(t *testing.T, e *env, method, path string) string {
	t.Helper()
	r := e.do(t, method, path, "")
	if r.StatusCode != 200 {
		t.Fatalf("%s %s: %d", method, path, r.StatusCode)
	}
	return readJSON(t, r)["properties"].(map[string]any)["state"].(string)
}

// waitRegistered waits for the feature at path to be Registered.
func waitRegistered(t *testing.T, e *env, path string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for featureState(t, e, http.MethodGet, path+"?api-version=2021-07-01") != "Registered" {
		if time.Now().After(deadline) {
			t.Fatal("feature never Registered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2 * time.Millisecond) // the provider registration must come later
}

// waitPut waits until the cluster accepts a PUT again (the last one's
// operation finished).
func waitPut(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.do(t, http.MethodGet, clusterPath+mcVersion, "")
		if r.StatusCode == 404 {
			return
		}
		st := readJSON(t, r)["properties"].(map[string]any)["provisioningState"]
		if st == "Succeeded" || st == "Failed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster still %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
