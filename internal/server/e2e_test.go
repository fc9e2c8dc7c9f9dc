package server

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/tagwall/tagwall/internal/testutil"
)

const (
	featurePath = "providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableServiceTagAuthorizedIPPreview"
	rg          = "myResourceGroup"
	clusterName = "myAKSCluster"
)

// seed holds the SDK clients of one test against one Main.
type seed struct {
	m        *Main
	http     *http.Client
	clusters *armcontainerservice.ManagedClustersClient
	groups   *armresources.ResourceGroupsClient
	provs    *armresources.ProvidersClient
}

func newSeed(t *testing.T, m *Main) *seed {
	t.Helper()
	hc := testutil.HTTPSClient(t, m.CAFile())
	opts := testutil.SDKOptions(m.APIURL(), hc)
	cred := testutil.StaticToken(m.Token())
	s := &seed{m: m, http: hc}
	var err error
	if s.clusters, err = armcontainerservice.NewManagedClustersClient(m.Subscription(), cred, opts); err != nil {
		t.Fatal(err)
	}
	if s.groups, err = armresources.NewResourceGroupsClient(m.Subscription(), cred, opts); err != nil {
		t.Fatal(err)
	}
	if s.provs, err = armresources.NewProvidersClient(m.Subscription(), cred, opts); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *seed) url(path, apiVersion string) string {
	return s.m.APIURL() + "subscriptions/" + s.m.Subscription() + "/" + path + "?api-version=" + apiVersion
}

func (s *seed) featureState(t *testing.T, verb string) string {
	t.Helper()
	method, path := http.MethodGet, featurePath
	if verb != "" {
		method, path = http.MethodPost, featurePath+"/"+verb
	}
	code, body := call(t, s.http, method, s.url(path, "2021-07-01"), s.m.Token(), nil)
	if code != 200 {
		t.Fatalf("%s feature: status %d %v", method, code, body)
	}
	props, _ := body["properties"].(map[string]any)
	st, _ := props["state"].(string)
	return st
}

func (s *seed) registerProvider(t *testing.T) {
	t.Helper()
	if _, err := s.provs.Register(context.Background(), "Microsoft.ContainerService", nil); err != nil {
		t.Fatalf("provider register: %v", err)
	}
}

func (s *seed) createGroup(t *testing.T) {
	t.Helper()
	_, err := s.groups.CreateOrUpdate(context.Background(), rg, armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		t.Fatalf("group create: %v", err)
	}
}

func clusterSpec(ranges ...string) armcontainerservice.ManagedCluster {
	return armcontainerservice.ManagedCluster{
		Location: to.Ptr("eastus"),
		Identity: &armcontainerservice.ManagedClusterIdentity{Type: to.Ptr(armcontainerservice.ResourceIdentityTypeSystemAssigned)},
		Properties: &armcontainerservice.ManagedClusterProperties{
			DNSPrefix: to.Ptr("myakscluster"),
			AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{{
				Name: to.Ptr("nodepool1"), Count: to.Ptr[int32](1), VMSize: to.Ptr("Standard_DS2_v2"),
				Mode: to.Ptr(armcontainerservice.AgentPoolModeSystem),
			}},
			APIServerAccessProfile: &armcontainerservice.ManagedClusterAPIServerAccessProfile{AuthorizedIPRanges: to.SliceOfPtrs(ranges...)},
		},
	}
}

var pollFast = &runtime.PollUntilDoneOptions{Frequency: 100 * time.Millisecond}

// put creates or updates the cluster and waits for the operation.
func (s *seed) put(t *testing.T, mc armcontainerservice.ManagedCluster) (armcontainerservice.ManagedCluster, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := s.clusters.BeginCreateOrUpdate(ctx, rg, clusterName, mc, nil)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	resp, err := p.PollUntilDone(ctx, pollFast)
	return resp.ManagedCluster, err
}

func wantStatus(t *testing.T, err error, code int, substr string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an ARM error %d", err, code)
	}
	if re.StatusCode != code || !strings.Contains(re.Error(), substr) {
		t.Fatalf("got status %d %s, want %d containing %q", re.StatusCode, re.Error(), code, substr)
	}
}

func (s *seed) kubeconfig(t *testing.T) []byte {
	t.Helper()
	resp, err := s.clusters.ListClusterUserCredentials(context.Background(), rg, clusterName, nil)
	if err != nil {
		t.Fatalf("listClusterUserCredential: %v", err)
	}
	if len(resp.Kubeconfigs) != 1 {
		t.Fatalf("kubeconfigs: %d", len(resp.Kubeconfigs))
	}
	return resp.Kubeconfigs[0].Value
}

// TestSeedJourney is the seed document's journey with the Azure SDK for Go
// as the client, then clients through the front door.
func TestSeedJourney(t *testing.T) {
	cfg := publicConfig(t, t.TempDir())
	cfg.SystemRanges = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	m := start(t, cfg)
	s := newSeed(t, m)

	if st := s.featureState(t, "register"); st != "Registering" {
		t.Fatalf("after register: %s, want Registering", st)
	}
	s.registerProvider(t) // too early: the feature is not Registered yet
	s.createGroup(t)
	_, err := s.put(t, clusterSpec("AzureCloud", "20.20.20.20"))
	wantStatus(t, err, 400, "EnableServiceTagAuthorizedIPPreview")

	eventually(t, 10*time.Second, "feature Registered", func() error {
		if st := s.featureState(t, ""); st != "Registered" {
			return errors.New(st)
		}
		return nil
	})
	_, err = s.put(t, clusterSpec("AzureCloud", "20.20.20.20"))
	wantStatus(t, err, 400, "provider")

	s.registerProvider(t)
	mc, err := s.put(t, clusterSpec("AzureCloud", "20.20.20.20"))
	if err != nil {
		t.Fatalf("create after re-register: %v", err)
	}
	if got := *mc.Properties.ProvisioningState; got != "Succeeded" {
		t.Fatalf("provisioningState %s", got)
	}
	fqdn := *mc.Properties.Fqdn
	version := strings.TrimPrefix(*mc.Properties.KubernetesVersion, "v")

	kc := s.kubeconfig(t)
	server, sni, caPEM, _ := parseKubeconfig(t, kc)
	if server != "https://"+m.GatewayAddr() || sni != strings.ToLower(fqdn) {
		t.Fatalf("kubeconfig server %s sni %s, want https://%s and %s", server, sni, m.GatewayAddr(), fqdn)
	}

	azure := azureCloudAddr(t, m)
	clients := []struct {
		name, addr string
		allowed    bool
	}{
		{name: "listed address", addr: "20.20.20.20", allowed: true},
		{name: "AzureCloud address", addr: azure, allowed: true},
		{name: "outsider", addr: "8.8.8.8", allowed: false},
	}
	for _, c := range clients {
		t.Run("before update/"+c.name, func(t *testing.T) {
			body, err := frontDoorGet(m.GatewayAddr(), c.addr, fqdn, caPEM, "/version")
			checkAccess(t, c.addr, c.allowed, version, body, err)
		})
	}

	got, err := s.clusters.Get(context.Background(), rg, clusterName, nil)
	if err != nil {
		t.Fatal(err)
	}
	got.Properties.APIServerAccessProfile.AuthorizedIPRanges = to.SliceOfPtrs("20.20.20.20")
	if _, err := s.put(t, got.ManagedCluster); err != nil {
		t.Fatalf("update: %v", err)
	}
	clients[1].allowed = false
	for _, c := range clients {
		t.Run("after update/"+c.name, func(t *testing.T) {
			body, err := frontDoorGet(m.GatewayAddr(), c.addr, fqdn, caPEM, "/version")
			checkAccess(t, c.addr, c.allowed, version, body, err)
		})
	}

	t.Run("kubectl", func(t *testing.T) { kubectlVersion(t, kc) })

	// Deleting the cluster removes its route and stops its stand-in.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dp, err := s.clusters.BeginDelete(ctx, rg, clusterName, nil)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := dp.PollUntilDone(ctx, pollFast); err != nil {
		t.Fatalf("delete: %v", err)
	}
	eventually(t, 5*time.Second, "stand-in stopped after delete", func() error {
		if n := m.fleet.Len(); n != 0 {
			return errorf("%d stand-ins running", n)
		}
		return nil
	})
	if body, err := frontDoorGet(m.GatewayAddr(), "20.20.20.20", fqdn, caPEM, "/version"); err == nil {
		t.Fatalf("deleted cluster still answers: %s", body)
	}
}

func checkAccess(t *testing.T, addr string, allowed bool, wantVersion, body string, err error) {
	t.Helper()
	switch {
	case allowed && err != nil:
		t.Fatalf("%s refused: %v", addr, err)
	case allowed && !strings.Contains(body, `"gitVersion":"v`+wantVersion+`"`): // the cluster's version, reported by its stand-in
		t.Fatalf("%s: /version body %s", addr, body)
	case !allowed && err == nil:
		t.Fatalf("%s admitted: %s", addr, body)
	}
}

// azureCloudAddr returns an IPv4 address inside the real AzureCloud tag.
func azureCloudAddr(t *testing.T, m *Main) string {
	t.Helper()
	cat := m.Catalog()
	if cat == nil {
		t.Fatal("no catalog in force")
	}
	tag, ok := cat.Lookup("AzureCloud")
	if !ok {
		t.Fatal("AzureCloud not in the catalog")
	}
	for _, p := range tag.Prefixes {
		if p.Addr().Is4() && !p.Contains(netip.MustParseAddr("20.20.20.20")) {
			return p.Addr().Next().String()
		}
	}
	t.Fatal("no IPv4 prefix in AzureCloud")
	return ""
}

// kubectlVersion runs `kubectl get --raw /version` with the kubeconfig. It
// skips when kubectl is absent, except under CI=true.
func kubectlVersion(t *testing.T, kubeconfig []byte) {
	path, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kubectl not installed under CI (Debian package kubernetes-client)")
		}
		t.Skip("kubectl not installed")
	}
	dir := t.TempDir()
	kcFile := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kcFile, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--kubeconfig", kcFile, "get", "--raw", "/version")
	cmd.Env = append(os.Environ(), "HOME="+dir, "KUBECACHEDIR="+filepath.Join(dir, "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get --raw /version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"gitVersion"`) {
		t.Fatalf("kubectl output: %s", out)
	}
}
