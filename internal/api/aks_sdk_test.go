package api_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/testutil"
)

// sdkCluster creates group rg1 and cluster c1 (one System pool) through
// the Azure SDK for Go and returns its clients.
func sdkCluster(t *testing.T, e *env) (*armcontainerservice.ManagedClustersClient, *armcontainerservice.AgentPoolsClient) {
	t.Helper()
	ctx := context.Background()
	opts := e.clientOptions()
	groups, err := armresources.NewResourceGroupsClient(testSub, testutil.StaticToken(testToken), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groups.CreateOrUpdate(ctx, "rg1", armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil); err != nil {
		t.Fatal(err)
	}
	mcs, err := armcontainerservice.NewManagedClustersClient(testSub, testutil.StaticToken(testToken), opts)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := armcontainerservice.NewAgentPoolsClient(testSub, testutil.StaticToken(testToken), opts)
	if err != nil {
		t.Fatal(err)
	}
	poller, err := mcs.BeginCreateOrUpdate(ctx, "rg1", "c1", clusterParams("20.20.20.20"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx, poll()); err != nil {
		t.Fatal(err)
	}
	return mcs, pools
}

// TestAgentPoolsSDK: the SDK's AgentPoolsClient lists, adds, scales (a
// full PUT back, as az nodepool scale does), shows and deletes pools over
// the cluster's agentPoolProfiles, following the LRO headers.
func TestAgentPoolsSDK(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	mcs, pools := sdkCluster(t, e)

	pager := pools.NewListPager("rg1", "c1", nil)
	page, err := pager.NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Name != "nodepool1" ||
		*page.Value[0].Type != "Microsoft.ContainerService/managedClusters/agentPools" {
		t.Fatalf("list: %v %+v", err, page.Value)
	}

	add, err := pools.BeginCreateOrUpdate(ctx, "rg1", "c1", "userpool", armcontainerservice.AgentPool{Properties: &armcontainerservice.ManagedClusterAgentPoolProfileProperties{
		Count: to.Ptr[int32](3), VMSize: to.Ptr("Standard_DS2_v2"), Mode: to.Ptr(armcontainerservice.AgentPoolModeUser),
		OrchestratorVersion: to.Ptr(""), OSType: to.Ptr(armcontainerservice.OSTypeLinux),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	added, err := add.PollUntilDone(ctx, poll())
	if err != nil || *added.Properties.Count != 3 || *added.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("add: %v %+v", err, added.Properties)
	}

	got, err := pools.Get(ctx, "rg1", "c1", "userpool", nil)
	if err != nil {
		t.Fatal(err)
	}
	got.Properties.Count = to.Ptr[int32](5)
	scale, err := pools.BeginCreateOrUpdate(ctx, "rg1", "c1", "userpool", got.AgentPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scaled, err := scale.PollUntilDone(ctx, poll()); err != nil || *scaled.Properties.Count != 5 {
		t.Fatalf("scale: %v", err)
	}
	mc, err := mcs.Get(ctx, "rg1", "c1", nil)
	if err != nil || len(mc.Properties.AgentPoolProfiles) != 2 || *mc.Properties.AgentPoolProfiles[1].Count != 5 {
		t.Fatalf("cluster after scale: %v %+v", err, mc.Properties.AgentPoolProfiles)
	}

	del, err := pools.BeginDelete(ctx, "rg1", "c1", "userpool", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, poll()); err != nil {
		t.Fatal(err)
	}
	if _, err := pools.Get(ctx, "rg1", "c1", "userpool", nil); err == nil {
		t.Fatal("deleted pool still found")
	}
	// The last System pool stays.
	if _, err := pools.BeginDelete(ctx, "rg1", "c1", "nodepool1", nil); err == nil {
		t.Fatal("deleting the last System pool was accepted")
	}
}

// TestStopStartSDK: begin_stop/begin_start are LROs; powerState.code
// follows, and the controller's route for the cluster is Stopped, then
// not, in the table applied before the operation succeeded.
func TestStopStartSDK(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	mcs, _ := sdkCluster(t, e)
	mc, err := mcs.Get(ctx, "rg1", "c1", nil)
	if err != nil || *mc.Properties.PowerState.Code != armcontainerservice.CodeRunning {
		t.Fatalf("created: %v %+v", err, mc.Properties.PowerState)
	}
	sni := *mc.Properties.Fqdn
	for _, step := range []struct {
		name    string
		begin   func() error
		code    armcontainerservice.Code
		stopped bool
	}{
		{name: "stop", code: armcontainerservice.CodeStopped, stopped: true, begin: func() error {
			p, err := mcs.BeginStop(ctx, "rg1", "c1", nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx, poll())
			}
			return err
		}},
		{name: "start", code: armcontainerservice.CodeRunning, begin: func() error {
			p, err := mcs.BeginStart(ctx, "rg1", "c1", nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx, poll())
			}
			return err
		}},
	} {
		if err := step.begin(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		mc, err := mcs.Get(ctx, "rg1", "c1", nil)
		if err != nil || *mc.Properties.PowerState.Code != step.code || *mc.Properties.AgentPoolProfiles[0].PowerState.Code != step.code ||
			*mc.Properties.ProvisioningState != "Succeeded" {
			t.Fatalf("%s: %v %+v", step.name, err, mc.Properties)
		}
		if r, ok := e.route(sni); !ok || r.Stopped != step.stopped {
			t.Fatalf("%s: route %+v (%v), want Stopped=%v", step.name, r, ok, step.stopped)
		}
	}
}

// TestVersionsSDK: ListKubernetesVersions and GetUpgradeProfile through
// the SDK; an upgrade to the next minor reaches the controller's route at
// once (the stand-in's /version follows it).
func TestVersionsSDK(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	mcs, _ := sdkCluster(t, e)
	list, err := mcs.ListKubernetesVersions(ctx, "eastus", nil)
	if err != nil || len(list.Values) != len(aksref.KubernetesVersions()) {
		t.Fatalf("kubernetesVersions: %v %+v", err, list)
	}
	defaults := 0
	for _, v := range list.Values {
		if v.IsDefault != nil && *v.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default minors, want 1", defaults)
	}
	up, err := mcs.GetUpgradeProfile(ctx, "rg1", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	cp := up.Properties.ControlPlaneProfile
	if *cp.KubernetesVersion != "1.31.5" || len(cp.Upgrades) == 0 || len(up.Properties.AgentPoolProfiles) != 1 {
		t.Fatalf("upgrade profile: %+v", up.Properties)
	}
	pools, err := armcontainerservice.NewAgentPoolsClient(testSub, testutil.StaticToken(testToken), e.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	pu, err := pools.GetUpgradeProfile(ctx, "rg1", "c1", "nodepool1", nil)
	if err != nil || *pu.Properties.KubernetesVersion != "1.31.5" || len(pu.Properties.Upgrades) != len(cp.Upgrades) {
		t.Fatalf("pool upgrade profile: %v %+v", err, pu.Properties)
	}
	next := *cp.Upgrades[len(cp.Upgrades)-1].KubernetesVersion // newest patch of the next minor
	mc, err := mcs.Get(ctx, "rg1", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	mc.Properties.KubernetesVersion = to.Ptr(next)
	p, err := mcs.BeginCreateOrUpdate(ctx, "rg1", "c1", mc.ManagedCluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, poll()); err != nil {
		t.Fatal(err)
	}
	// The controller applies the route before it completes the operation:
	// no wait.
	if r, _ := e.route(*mc.Properties.Fqdn); r.KubernetesVersion != next {
		t.Fatalf("route version %q once the upgrade succeeded, want %q", r.KubernetesVersion, next)
	}
}
