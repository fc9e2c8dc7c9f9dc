package cli

import (
	"strings"
	"testing"
)

// TestLiveAksCommands runs the CLI's commands past the seed (issue 13)
// against a live in-process server: versions and upgrades, node pools,
// stop/start, a missing group's delete and an unsupported version.
func TestLiveAksCommands(t *testing.T) {
	env := liveServer(t)
	g := []string{"-g", "myResourceGroup", "-n", "myAKSCluster"}
	tw(t, env, 0, "group", "create", "--name", "myResourceGroup", "--location", "eastus")
	tw(t, env, 0, append([]string{"aks", "create", "--generate-ssh-keys", "-o", "none"}, g...)...)

	if out, _ := tw(t, env, 0, "aks", "get-versions", "-l", "eastus", "--query", "values[?isDefault].version | [0]", "-o", "tsv"); strings.TrimSpace(out) == "" {
		t.Error("aks get-versions: no default minor")
	}
	next, _ := tw(t, env, 0, append([]string{"aks", "get-upgrades", "--query", "controlPlaneProfile.upgrades[0].kubernetesVersion", "-o", "tsv"}, g...)...)
	if strings.TrimSpace(next) == "" {
		t.Error("aks get-upgrades: no upgrade")
	}

	p := []string{"-g", "myResourceGroup", "--cluster-name", "myAKSCluster"}
	if out, _ := tw(t, env, 0, append([]string{"aks", "nodepool", "list", "--query", "[].name", "-o", "tsv"}, p...)...); strings.TrimSpace(out) != "nodepool1" {
		t.Errorf("aks nodepool list: %q", out)
	}
	tw(t, env, 0, append([]string{"aks", "nodepool", "add", "-n", "userpool", "-c", "1", "-o", "none"}, p...)...)
	tw(t, env, 0, append([]string{"aks", "nodepool", "scale", "-n", "userpool", "-c", "3", "-o", "none"}, p...)...)
	if out, _ := tw(t, env, 0, append([]string{"aks", "nodepool", "show", "-n", "userpool", "--query", "count", "-o", "tsv"}, p...)...); strings.TrimSpace(out) != "3" {
		t.Errorf("aks nodepool show count: %q", out)
	}
	tw(t, env, 0, append([]string{"aks", "nodepool", "delete", "-n", "userpool"}, p...)...)
	tw(t, env, 3, append([]string{"aks", "nodepool", "show", "-n", "userpool"}, p...)...)

	tw(t, env, 0, append([]string{"aks", "stop"}, g...)...)
	if out, _ := tw(t, env, 0, append([]string{"aks", "show", "--query", "powerState.code", "-o", "tsv"}, g...)...); strings.TrimSpace(out) != "Stopped" {
		t.Errorf("powerState after stop: %q", out)
	}
	tw(t, env, 0, append([]string{"aks", "start"}, g...)...)
	if out, _ := tw(t, env, 0, append([]string{"aks", "show", "--query", "powerState.code", "-o", "tsv"}, g...)...); strings.TrimSpace(out) != "Running" {
		t.Errorf("powerState after start: %q", out)
	}

	// ARM's 404 for a missing group; AKS's text for a version off the list.
	if _, stderr := tw(t, env, 3, "group", "delete", "-n", "missing", "--yes"); !strings.Contains(stderr, "(ResourceGroupNotFound) Resource group 'missing' could not be found.") {
		t.Errorf("group delete missing: %s", stderr)
	}
	if _, stderr := tw(t, env, 1, append([]string{"aks", "create", "-k", "1.2.3", "--generate-ssh-keys"}, "-g", "myResourceGroup", "-n", "other")...); !strings.Contains(stderr, "(K8sVersionNotSupported) Version 1.2.3 is not supported in this region.") {
		t.Errorf("aks create -k 1.2.3: %s", stderr)
	}
}
