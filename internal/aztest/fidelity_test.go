package aztest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/testutil"
)

// fidelitySteps runs issue 13's az commands past the seed document against
// the cluster the scenario created (its list disabled: everyone admitted):
// versions and upgrades, node pools, stop/start with the front door
// refusing a stopped cluster, the admin kubeconfig's context name, a
// missing group's delete and an operation tagwall does not implement.
func fidelitySteps(t *testing.T, az *azEnv, fd frontDoor, id, secret string) {
	t.Helper()
	g, n := []string{"--resource-group", rg, "--name", cluster}, cluster

	// az resource list (subscription-wide, and -g with az's resourceGroup
	// filter and $expand).
	for _, args := range [][]string{{}, {"--resource-group", rg}, {"--resource-type", "Microsoft.ContainerService/managedClusters"}} {
		if out := strings.Fields(az.ok(t, append([]string{"resource", "list", "--query", "[].name", "-o", "tsv"}, args...)...)); strings.Join(out, ",") != cluster {
			t.Errorf("az resource list %v: %v", args, out)
		}
	}

	// A tenant name other than the server's: az's validator asks
	// /adfs/<name>/.well-known/openid-configuration and prints Entra ID's
	// AADSTS90002 (profile/_validators.py: "Failed to resolve tenant …").
	az.fails(t, 1, []string{"Failed to resolve tenant 'contoso.example'", "AADSTS90002: Tenant 'contoso.example' not found."},
		"login", "--service-principal", "-u", id, "-p", secret, "--tenant", "contoso.example")

	// A tenant GUID other than the server's: az appends it to the login
	// endpoint (authn.LoginEndpoint), msal's tenant discovery there is
	// refused with AADSTS90002, and az prints what it prints against Azure
	// (Azure/azure-cli #22145, #22844: "Unable to get authority
	// configuration for https://login.microsoftonline.com/<T>. … Also please
	// double check your tenant name or GUID is correct."). The account keeps
	// its tenant.
	const otherTenant = "0b0623dd-90fa-4c5c-bee8-8dc18bd4d948"
	tenantBefore := strings.TrimSpace(az.ok(t, "account", "show", "--query", "tenantId", "-o", "tsv"))
	az.fails(t, 1, []string{"Unable to get authority configuration for https://", "/adfs/tenants/" + otherTenant + ".",
		"Also please double check your tenant name or GUID is correct.", "AADSTS90002: Tenant '" + otherTenant + "' not found."},
		"login", "--service-principal", "-u", id, "-p", secret, "--tenant", otherTenant)
	if after := strings.TrimSpace(az.ok(t, "account", "show", "--query", "tenantId", "-o", "tsv")); after != tenantBefore || after == otherTenant {
		t.Errorf("az account show tenantId after the refused login: %q, before %q", after, tenantBefore)
	}

	// az 2.45's get-versions reads the orchestrators list (2019-04-01).
	def := strings.TrimSpace(az.ok(t, "aks", "get-versions", "--location", "eastus", "--query", "orchestrators[?default].orchestratorVersion | [0]", "-o", "tsv"))
	if cur := strings.TrimSpace(az.ok(t, append([]string{"aks", "show", "--query", "currentKubernetesVersion", "-o", "tsv"}, g...)...)); def == "" || cur != def {
		t.Errorf("az aks get-versions default %q, cluster runs %q", def, cur)
	}

	// Upgrades: a version off the list is refused with AKS's text; the next
	// one reaches the stand-in's /version at once.
	next := strings.TrimSpace(az.ok(t, append([]string{"aks", "get-upgrades", "--query", "controlPlaneProfile.upgrades[-1].kubernetesVersion", "-o", "tsv"}, g...)...))
	az.fails(t, 1, []string{"(K8sVersionNotSupported) Version 9.99.0 is not supported in this region. Please use [az aks get-versions] command"},
		append([]string{"aks", "upgrade", "--kubernetes-version", "9.99.0", "--yes"}, g...)...)
	az.ok(t, append([]string{"aks", "upgrade", "--kubernetes-version", next, "--yes", "-o", "none"}, g...)...)
	if v := fd.version(t, "8.8.8.8"); v != "v"+next {
		t.Errorf("front door /version after az aks upgrade: %q, want v%s", v, next)
	}

	// Node pools over agentPoolProfiles.
	pools := []string{"--resource-group", rg, "--cluster-name", n}
	if names := strings.Fields(az.ok(t, append([]string{"aks", "nodepool", "list", "--query", "[].name", "-o", "tsv"}, pools...)...)); strings.Join(names, ",") != "nodepool1" {
		t.Errorf("az aks nodepool list: %v", names)
	}
	az.ok(t, append([]string{"aks", "nodepool", "add", "--name", "userpool", "--node-count", "1", "-o", "none"}, pools...)...)
	az.ok(t, append([]string{"aks", "nodepool", "scale", "--name", "userpool", "--node-count", "2", "-o", "none"}, pools...)...)
	if c := strings.TrimSpace(az.ok(t, append([]string{"aks", "nodepool", "show", "--name", "userpool", "--query", "count", "-o", "tsv"}, pools...)...)); c != "2" {
		t.Errorf("az aks nodepool show count %q after scale, want 2", c)
	}
	az.ok(t, append([]string{"aks", "nodepool", "delete", "--name", "userpool"}, pools...)...)

	// Stop: powerState Stopped and the front door refuses everyone; start
	// restores it.
	az.ok(t, append([]string{"aks", "stop"}, g...)...)
	if p := strings.TrimSpace(az.ok(t, append([]string{"aks", "show", "--query", "powerState.code", "-o", "tsv"}, g...)...)); p != "Stopped" {
		t.Errorf("powerState after az aks stop: %q", p)
	}
	fd.expect(t, "8.8.8.8", false)
	az.ok(t, append([]string{"aks", "start"}, g...)...)
	fd.expect(t, "8.8.8.8", true)

	// az renames the admin context: AKS names it after the cluster and az
	// appends -admin (azure-cli acs/custom.py merge_kubernetes_configurations:
	// 'Merged "<cluster>-admin" as current context in …').
	_, errOut, code := az.run(t, append([]string{"aks", "get-credentials", "--admin", "--overwrite-existing"}, g...)...)
	if code != 0 || !strings.Contains(errOut, `Merged "`+cluster+`-admin" as current context`) {
		t.Errorf("az aks get-credentials --admin: rc %d\n%s", code, errOut)
	}

	// ARM's 404 for a missing group (a 204 made az print "Operation
	// returned an invalid status 'No Content'").
	az.fails(t, 3, []string{"(ResourceGroupNotFound) Resource group 'missing' could not be found."}, "group", "delete", "--name", "missing", "--yes")

	// An operation tagwall does not implement names itself.
	az.fails(t, 1, []string{"(NotSupported) tagwall does not implement Microsoft.ContainerService/managedClusters/runCommand/action (az aks command invoke)"},
		append([]string{"aks", "command", "invoke", "--command", "kubectl get pods"}, g...)...)
}

// version returns the gitVersion the cluster's API server reports on
// /version through the front door, as client.
func (f frontDoor) version(tb testing.TB, client string) string {
	tb.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.pool, ServerName: f.sni}, DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return testutil.DialProxied(ctx, f.addr, client)
		}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, "https://"+f.sni+"/version", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		tb.Fatalf("front door /version: %v", err)
	}
	defer resp.Body.Close()
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		tb.Fatalf("front door /version: %v", err)
	}
	return v.GitVersion
}
