package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/testutil"
)

// liveServer runs `tagwall serve` in-process on loopback :0 ports with a
// short feature-registration delay and returns an Env that finds it the way
// a user's CLI does: through the client config serve writes.
func liveServer(t *testing.T) Env {
	t.Helper()
	publicTags := testutil.ServiceTags(t, testutil.PublicTags)
	dir := t.TempDir()
	cfg := server.Config{
		DataDir:          filepath.Join(dir, "data"),
		APIAddr:          "127.0.0.1:0",
		GatewayAddr:      "127.0.0.1:0",
		MetricsAddr:      "-",
		TrustedProxies:   []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		ServiceTags:      []string{publicTags},
		FeatureDelay:     time.Second,
		ClientConfigPath: filepath.Join(dir, "client", "config.json"),
		Logger:           slog.New(slog.DiscardHandler),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return Env{
		ConfigPath: cfg.ClientConfigPath,
		Home:       dir,
		Sleep:      func(d time.Duration) { time.Sleep(min(d, 100*time.Millisecond)) },
	}
}

// tw runs one tagwall command line (the seed's `az` line with az replaced).
func tw(t *testing.T, env Env, wantCode int, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code := Run(env, args, &o, &e)
	if code != wantCode {
		t.Fatalf("tagwall %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, o.String(), e.String())
	}
	return o.String(), e.String()
}

// eventuallyOut reruns a command until its stdout is want.
func eventuallyOut(t *testing.T, env Env, want string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := tw(t, env, 0, args...)
		if out == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tagwall %s: %q, want %q", strings.Join(args, " "), out, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func decodeOut(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

// TestSeedJourney runs the seed document's commands in order against a
// live in-process server, every flag and value as printed there.
func TestSeedJourney(t *testing.T) {
	env := liveServer(t)
	const ns, feature = "Microsoft.ContainerService", "EnableServiceTagAuthorizedIPPreview"

	_, stderr := tw(t, env, 0, "extension", "add", "--name", "aks-preview")
	if !strings.Contains(stderr, "aks-preview") {
		t.Errorf("extension add stderr %q", stderr)
	}

	out, stderr := tw(t, env, 0, "feature", "register", "--namespace", ns, "--name", feature)
	f := decodeOut(t, out)
	if f["name"] != ns+"/"+feature || lookupPath(f, "properties.state") != "Registering" ||
		f["type"] != "Microsoft.Features/providers/features" {
		t.Errorf("feature register printed %s", out)
	}
	// az 2.45 resource/custom.py register_feature, verbatim (issue 13).
	wantWarn := "WARNING: Once the feature '" + feature + "' is registered, invoking 'az provider register -n " + ns + "' is required to get the change propagated\n"
	if stderr != wantWarn {
		t.Errorf("feature register stderr %q, want %q", stderr, wantWarn)
	}

	out, _ = tw(t, env, 0, "feature", "show", "--namespace", ns, "--name", feature)
	if st := lookupPath(decodeOut(t, out), "properties.state"); st != "Registering" && st != "Registered" {
		t.Errorf("feature show state %v", st)
	}
	eventuallyOut(t, env, "Registered\n", "feature", "show", "--namespace", ns, "--name", feature, "--query", "properties.state", "-o", "tsv")

	out, stderr = tw(t, env, 0, "provider", "register", "--namespace", ns)
	if out != "" {
		t.Errorf("provider register printed %q on stdout", out)
	}
	if stderr != "" && stderr != "WARNING: Registering is still on-going. You can monitor using 'tagwall provider show -n "+ns+"'\n" {
		t.Errorf("provider register stderr %q", stderr)
	}
	eventuallyOut(t, env, "Registered\n", "provider", "show", "-n", ns, "--query", "registrationState", "-o", "tsv")

	out, _ = tw(t, env, 0, "group", "create", "--name", "myResourceGroup", "--location", "eastus")
	if g := decodeOut(t, out); g["name"] != "myResourceGroup" || g["location"] != "eastus" {
		t.Errorf("group create printed %s", out)
	}

	out, _ = tw(t, env, 0, "aks", "create", "--resource-group", "myResourceGroup", "--name", "myAKSCluster",
		"--api-server-authorized-ip-ranges", "AzureCloud,20.20.20.20", "--generate-ssh-keys")
	mc := decodeOut(t, out)
	if mc["provisioningState"] != "Succeeded" || mc["resourceGroup"] != "myResourceGroup" || mc["location"] != "eastus" {
		t.Errorf("aks create printed provisioningState %v resourceGroup %v location %v", mc["provisioningState"], mc["resourceGroup"], mc["location"])
	}
	want := []any{"AzureCloud", "20.20.20.20/32"}
	if got := lookupPath(mc, "apiServerAccessProfile.authorizedIpRanges"); !reflect.DeepEqual(got, want) {
		t.Errorf("authorizedIpRanges %v, want %v", got, want)
	}

	out, _ = tw(t, env, 0, "aks", "show", "-g", "myResourceGroup", "-n", "myAKSCluster", "--query", "apiServerAccessProfile.authorizedIpRanges", "-o", "tsv")
	if out != "AzureCloud\n20.20.20.20/32\n" {
		t.Errorf("aks show --query … -o tsv: %q", out)
	}

	kubeconfig := filepath.Join(env.Home, ".kube", "config")
	out, _ = tw(t, env, 0, "aks", "get-credentials", "--resource-group", "myResourceGroup", "--name", "myAKSCluster")
	if !strings.HasPrefix(out, "Merged \"") || !strings.HasSuffix(out, "\" as current context in "+kubeconfig+"\n") {
		t.Errorf("get-credentials printed %q", out)
	}
	if fi, err := os.Stat(kubeconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig %v %v", fi, err)
	}
	// --admin: the context is <cluster>-admin, once (az: merge_kubernetes_configurations
	// appends -admin to the context AKS names after the cluster; issue 13).
	out, _ = tw(t, env, 0, "aks", "get-credentials", "--resource-group", "myResourceGroup", "--name", "myAKSCluster", "--admin")
	if want := "Merged \"myAKSCluster-admin\" as current context in " + kubeconfig + "\n"; out != want {
		t.Errorf("get-credentials --admin printed %q, want %q", out, want)
	}

	// The same create without aks-preview fails client-side with core az's message.
	tw(t, env, 0, "extension", "remove", "--name", "aks-preview")
	out, stderr = tw(t, env, 1, "aks", "create", "--resource-group", "myResourceGroup", "--name", "myAKSCluster2",
		"--api-server-authorized-ip-ranges", "AzureCloud,20.20.20.20", "--generate-ssh-keys")
	if out != "" || stderr != "ERROR: --api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs\n" {
		t.Errorf("core create: stdout %q stderr %q", out, stderr)
	}
	tw(t, env, 3, "aks", "show", "-g", "myResourceGroup", "-n", "myAKSCluster2")

	// Update semantics: omitted keeps, "" disables, a value replaces.
	out, _ = tw(t, env, 0, "aks", "update", "-g", "myResourceGroup", "-n", "myAKSCluster", "--tags", "team=a", "--query", "apiServerAccessProfile.authorizedIpRanges", "-o", "tsv")
	if out != "AzureCloud\n20.20.20.20/32\n" {
		t.Errorf("update --tags changed the ranges: %q", out)
	}
	out, _ = tw(t, env, 0, "aks", "update", "-g", "myResourceGroup", "-n", "myAKSCluster", "--api-server-authorized-ip-ranges", "30.30.30.0/24", "--query", "apiServerAccessProfile.authorizedIpRanges", "-o", "tsv")
	if out != "30.30.30.0/24\n" {
		t.Errorf("update replace: %q", out)
	}
	out, _ = tw(t, env, 0, "aks", "update", "-g", "myResourceGroup", "-n", "myAKSCluster", "--api-server-authorized-ip-ranges", "", "--query", "apiServerAccessProfile.authorizedIpRanges")
	if out != "" && out != "[]\n" { // None prints nothing
		t.Errorf("update disable: %q", out)
	}
	out, _ = tw(t, env, 0, "network", "list-service-tags", "--location", "eastus", "--query", "values[?name=='AzureCloud.eastus'].name | [0]", "-o", "tsv")
	if out != "AzureCloud.eastus\n" {
		t.Errorf("list-service-tags (all pages): %q", out)
	}
	tw(t, env, 0, "aks", "delete", "-g", "myResourceGroup", "-n", "myAKSCluster", "--yes")
	tw(t, env, 3, "aks", "show", "-g", "myResourceGroup", "-n", "myAKSCluster")
}
