package aztest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/testutil"
)

const (
	rg      = "myResourceGroup"
	cluster = "myAKSCluster"
	feature = "EnableServiceTagAuthorizedIPPreview"
	ns      = "Microsoft.ContainerService"
)

// TestAzSeedScenario runs the seed document's steps with the real az, then
// the refusals az users meet: a wrong secret, an expired token and a token
// of another subscription.
func TestAzSeedScenario(t *testing.T) {
	bin := findAz(t)
	m := startServer(t)
	trap, hits := proxyTrap(t)
	az := newAzEnv(t, bin, m.CAFile(), trap)
	id, secret := m.AdminPrincipal()
	sub := m.Subscription()

	// Cloud and login (az-wire.md §1, §2a).
	az.ok(t, "cloud", "register", "-n", "tagwall", "--endpoint-resource-manager", m.APIURL())
	if _, errOut, _ := az.run(t, "cloud", "set", "-n", "tagwall"); !strings.Contains(errOut, "Switched active cloud to 'tagwall'") {
		t.Fatalf("az cloud set: %s", errOut)
	}
	az.fails(t, 1, []string{"MSIS9607", "invalid"}, "login", "--service-principal", "-u", id, "-p", "wrong-"+secret, "--tenant", m.Tenant())
	var accounts []struct {
		ID, CloudName, TenantID, State string
		IsDefault                      bool
		User                           struct{ Name, Type string }
	}
	az.okJSON(t, &accounts, "login", "--service-principal", "-u", id, "-p", secret, "--tenant", m.Tenant())
	if len(accounts) != 1 || accounts[0].ID != sub || accounts[0].CloudName != "tagwall" || !accounts[0].IsDefault ||
		accounts[0].User.Type != "servicePrincipal" || accounts[0].User.Name != id || accounts[0].State != "Enabled" {
		t.Fatalf("az login: %+v", accounts)
	}

	// The feature and the provider (§3, §4).
	out, errOut, code := az.run(t, "feature", "register", "--namespace", ns, "--name", feature)
	if code != 0 || !strings.Contains(out, `"state": "Registering"`) ||
		!strings.Contains(errOut, "invoking 'az provider register -n Microsoft.ContainerService' is required") {
		t.Fatalf("az feature register: rc %d\n%s\n%s", code, out, errOut)
	}
	waitFor(t, 20*time.Second, "feature Registered", func() bool {
		return strings.TrimSpace(az.ok(t, "feature", "show", "--namespace", ns, "--name", feature, "--query", "properties.state", "-o", "tsv")) == "Registered"
	})
	az.ok(t, "provider", "register", "--namespace", ns)

	// Group and cluster (§5, §6).
	var group struct {
		Properties struct{ ProvisioningState string }
	}
	az.okJSON(t, &group, "group", "create", "--name", rg, "--location", "eastus", "-o", "json")
	if group.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("az group create: %+v", group)
	}
	var mc struct {
		ProvisioningState, KubernetesVersion string
		APIServerAccessProfile               struct {
			AuthorizedIPRanges []string `json:"authorizedIpRanges"`
		}
	}
	az.okJSON(t, &mc, "aks", "create", "--resource-group", rg, "--name", cluster,
		"--api-server-authorized-ip-ranges", "20.20.20.20", "--generate-ssh-keys", "-o", "json")
	if mc.ProvisioningState != "Succeeded" || mc.KubernetesVersion == "" || strings.Join(mc.APIServerAccessProfile.AuthorizedIPRanges, ",") != "20.20.20.20/32" {
		t.Fatalf("az aks create: %+v", mc)
	}
	showRanges(t, az, `["20.20.20.20/32"]`)
	fd := parseFrontDoor(t, az.ok(t, "aks", "get-credentials", "--resource-group", rg, "--name", cluster, "--file", "-"))
	azureCloud := azureCloudAddr(t, m)
	fd.expect(t, "20.20.20.20", true)
	fd.expect(t, "8.8.8.8", false)
	fd.expect(t, azureCloud, false)

	// A service tag goes in with az rest (§8); core az keeps it on updates.
	body := `{"location":"eastus","identity":{"type":"SystemAssigned"},"properties":{"dnsPrefix":"c2",` +
		`"agentPoolProfiles":[{"name":"nodepool1","count":1,"vmSize":"Standard_DS2_v2","mode":"System"}],` +
		`"apiServerAccessProfile":{"authorizedIPRanges":["AzureCloud","20.20.20.20"]}}}`
	az.ok(t, "rest", "--method", "put", "--url", clusterURL(), "--body", body)
	waitSucceeded(t, m)
	showRanges(t, az, `["AzureCloud","20.20.20.20/32"]`)
	fd.expect(t, azureCloud, true)
	fd.expect(t, "20.20.20.20", true)
	fd.expect(t, "8.8.8.8", false)

	// "" disables the list: everyone is admitted.
	var upd struct {
		APIServerAccessProfile struct {
			AuthorizedIPRanges []string `json:"authorizedIpRanges"`
		}
	}
	az.okJSON(t, &upd, "aks", "update", "--resource-group", rg, "--name", cluster, "--api-server-authorized-ip-ranges", "", "-o", "json")
	if upd.APIServerAccessProfile.AuthorizedIPRanges != nil {
		t.Fatalf("az aks update \"\": ranges %v, want null", upd.APIServerAccessProfile.AuthorizedIPRanges)
	}
	fd.expect(t, "8.8.8.8", true)

	// The service-tag discovery API through az rest (§7): the whole
	// document in one response, nextLink null, as Azure answers; paging
	// only when asked with $top.
	var page struct {
		Cloud, ChangeNumber, Next string
		Count, AzureCloud         int
	}
	az.okJSON(t, &page, "rest", "--method", "get", "--url",
		"/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2022-01-01",
		"--query", "{cloud: cloud, changeNumber: changeNumber, next: nextLink, count: length(values), azureCloud: length(values[?name=='AzureCloud'])}")
	if page.Cloud != "Public" || page.ChangeNumber == "" || page.Count < 2500 || page.AzureCloud != 1 || page.Next != "" {
		t.Errorf("service tags via az rest: %+v, want every tag, AzureCloud among them, in one response", page)
	}
	var paged struct {
		Next  string
		Count int
	}
	az.okJSON(t, &paged, "rest", "--method", "get", "--url",
		"/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2022-01-01&$top=500",
		"--query", "{next: nextLink, count: length(values)}")
	if paged.Count != 500 || !strings.Contains(paged.Next, "$skipToken=500") {
		t.Errorf("paged service tags via az rest: %+v", paged)
	}

	fidelitySteps(t, az, fd, id, secret) // issue 13: past the seed's commands

	// Delete (§6): no output, then az shows ResourceNotFound with rc 3.
	if out := az.ok(t, "aks", "delete", "--resource-group", rg, "--name", cluster, "--yes"); strings.TrimSpace(out) != "" {
		t.Errorf("az aks delete printed %q", out)
	}
	az.fails(t, 3, []string{"(ResourceNotFound)", "Code: ResourceNotFound"}, "aks", "show", "--resource-group", rg, "--name", cluster)
	fd.expect(t, "8.8.8.8", false)

	refusals(t, m, az)
	if n := hits.Load(); n != 0 {
		t.Errorf("az made %d connection(s) through the proxy: something tried to leave the machine", n)
	}
}

// refusals: a token past its expiry and a token of a principal scoped to
// another subscription, sent by az rest, get ARM's errors.
func refusals(t *testing.T, m *server.Main, az *azEnv) {
	base := strings.TrimRight(m.APIURL(), "/")
	adminID, _ := m.AdminPrincipal()
	expired, err := m.Authn().IssueAt(adminID, base, time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	groupURL := "/subscriptions/{subscriptionId}/resourcegroups/" + rg + "?api-version=2021-04-01"
	az.fails(t, 1, []string{"Unauthorized(", "ExpiredAuthenticationToken"},
		"rest", "--method", "get", "--url", groupURL, "--headers", "Authorization=Bearer "+expired)

	// A second subscription and a principal of it only, through the admin API.
	hc := testutil.HTTPSClient(t, m.CAFile())
	var sub2 struct{ SubscriptionID string }
	adminCall(t, hc, m, "/tagwall/subscriptions", `{"displayName":"second"}`, &sub2)
	var sp struct{ AppID, Password string }
	adminCall(t, hc, m, "/tagwall/servicePrincipals", `{"displayName":"ci","subscriptions":["`+sub2.SubscriptionID+`"]}`, &sp)
	tok := clientCredentials(t, hc, base, sp.AppID, sp.Password)
	az.fails(t, 1, []string{"Forbidden(", "AuthorizationFailed", sp.AppID},
		"rest", "--method", "get", "--url", groupURL, "--headers", "Authorization=Bearer "+tok)
	var groups struct{ Value []any }
	az.okJSON(t, &groups, "rest", "--method", "get", "--url", "/subscriptions/"+sub2.SubscriptionID+"/resourcegroups?api-version=2021-04-01",
		"--headers", "Authorization=Bearer "+tok)
}

func clusterURL() string {
	return "/subscriptions/{subscriptionId}/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/managedClusters/" + cluster + "?api-version=2022-11-01"
}

// showRanges checks az aks show --query apiServerAccessProfile.authorizedIpRanges.
func showRanges(t *testing.T, az *azEnv, want string) {
	t.Helper()
	out := az.ok(t, "aks", "show", "--resource-group", rg, "--name", cluster, "--query", "apiServerAccessProfile.authorizedIpRanges", "-o", "json")
	var got []string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("az aks show: %v\n%s", err, out)
	}
	if b, _ := json.Marshal(got); string(b) != want {
		t.Fatalf("az aks show ranges %s, want %s", b, want)
	}
}

// azureCloudAddr is an address of the AzureCloud tag outside 20.20.20.20.
func azureCloudAddr(t *testing.T, m *server.Main) string {
	t.Helper()
	tag, ok := m.Catalog().Lookup("AzureCloud")
	if !ok {
		t.Fatal("no AzureCloud tag in the catalog")
	}
	for _, p := range tag.Prefixes {
		if a := p.Addr().Next(); p.Addr().Is4() && p.Contains(a) && a != netip.MustParseAddr("20.20.20.20") {
			return a.String()
		}
	}
	t.Fatal("AzureCloud has no IPv4 prefix")
	return ""
}

// waitSucceeded waits until the cluster's last operation finished, so the
// next az update does not meet a running one.
func waitSucceeded(t *testing.T, m *server.Main) {
	t.Helper()
	hc := testutil.HTTPSClient(t, m.CAFile())
	u := m.APIURL() + strings.TrimPrefix(strings.Replace(clusterURL(), "{subscriptionId}", m.Subscription(), 1), "/")
	waitFor(t, 20*time.Second, "cluster Succeeded", func() bool {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+m.Token())
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct {
			Properties struct{ ProvisioningState string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return body.Properties.ProvisioningState == "Succeeded"
	})
}

func waitFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// adminCall POSTs body to an admin path with the admin token and decodes
// the 201 answer into out.
func adminCall(t *testing.T, hc *http.Client, m *server.Main, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, strings.TrimRight(m.APIURL(), "/")+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+m.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// clientCredentials gets a token the way msal does.
func clientCredentials(t *testing.T, hc *http.Client, base, id, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {base + "//.default"}}
	resp, err := hc.PostForm(base+"/adfs/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token for %s: status %d %v", id, resp.StatusCode, err)
	}
	return tok.AccessToken
}
