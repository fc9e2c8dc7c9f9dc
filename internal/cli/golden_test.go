package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	requestID  = regexp.MustCompile(`'X-Ms-Client-Request-Id': '[^']*'`)
	dateHeader = regexp.MustCompile(`'Date': '[^']*'`)
	ranIn      = regexp.MustCompile(`Command ran in [0-9.]+ seconds`)
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// goldenCase runs one command line against a fresh fake ARM server and
// compares stdout, stderr, the exit status and the requests sent with
// testdata/<name>.golden.
type goldenCase struct {
	name    string
	args    string // split on spaces; '' quoted empty strings are kept
	setup   func(*fakeARM)
	preview bool // `extension add --name aks-preview` first
	code    int
}

func splitArgs(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if f == "''" {
			f = ""
		}
		out = append(out, f)
	}
	return out
}

func runCase(t *testing.T, f *fakeARM, env Env, args []string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(env, args, &o, &e)
	return o.String(), e.String(), code
}

// normalise replaces the run's random parts (server URL, temp dirs).
func normalise(s string, f *fakeARM, env Env) string {
	s = strings.ReplaceAll(s, f.srv.URL, "https://ARM")
	s = strings.ReplaceAll(s, env.Home, "$HOME")
	s = requestID.ReplaceAllString(s, "'X-Ms-Client-Request-Id': '<uuid>'")
	s = dateHeader.ReplaceAllString(s, "'Date': '<date>'")
	s = ranIn.ReplaceAllString(s, "Command ran in <n> seconds")
	return s
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARM(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			env := f.env(t)
			if tc.preview {
				if _, stderr, code := runCase(t, f, env, []string{"extension", "add", "--name", "aks-preview"}); code != 0 {
					t.Fatalf("extension add: %d %s", code, stderr)
				}
			}
			f.requests = nil
			args := splitArgs(tc.args)
			stdout, stderr, code := runCase(t, f, env, args)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "$ tagwall %s\n--- stdout\n%s--- stderr\n%s--- exit %d\n--- requests\n", tc.args, stdout, stderr, code)
			for _, r := range f.requests {
				b.WriteString(r + "\n")
			}
			checkGolden(t, tc.name, normalise(b.String(), f, env))
		})
	}
}

func seedCluster(f *fakeARM)    { f.withCluster() }
func seedGroup(f *fakeARM)      { f.withGroup() }
func registering(f *fakeARM)    { f.featureState = "Registering" }
func unknownFeature(f *fakeARM) { f.unknownFeatures = true }
func failing(f *fakeARM)        { f.withGroup(); f.failOps = true }

var goldenCases = []goldenCase{
	// feature
	{name: "feature_register", args: "feature register --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview"},
	{name: "feature_register_only_show_errors", args: "feature register --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview --only-show-errors"},
	{name: "feature_show_query_tsv", args: "feature show --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview --query properties.state -o tsv", setup: registering},
	{name: "feature_show_table", args: "feature show --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview -o table", setup: registering},
	{name: "feature_list_table", args: "feature list --namespace Microsoft.ContainerService -o table"},
	{name: "feature_list_tsv", args: "feature list -o tsv"},
	// az logs the warning before the call: it is printed when the call fails too.
	{name: "feature_register_not_found", args: "feature register --namespace Microsoft.ContainerService --name Nope", setup: unknownFeature, code: 3},
	{name: "feature_unregister", args: "feature unregister --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview"},
	{name: "feature_show_missing_name", args: "feature show --namespace Microsoft.ContainerService", code: 2},
	{name: "feature_show_not_found", args: "feature show --namespace Microsoft.ContainerService --name Nope", code: 3},
	// provider
	{name: "provider_register", args: "provider register --namespace Microsoft.ContainerService"},
	{name: "provider_register_wait", args: "provider register -n Microsoft.ContainerService --wait"},
	{name: "provider_unregister_wait", args: "provider unregister -n Microsoft.ContainerService --wait"},
	{name: "provider_show", args: "provider show -n Microsoft.ContainerService"},
	{name: "provider_show_table", args: "provider show -n Microsoft.ContainerService -o table"},
	{name: "provider_show_tsv", args: "provider show -n Microsoft.ContainerService -o tsv"},
	{name: "provider_list_query", args: "provider list --query [].namespace"},
	// group
	{name: "group_create", args: "group create --name myResourceGroup --location eastus"},
	{name: "group_create_table", args: "group create -n myResourceGroup -l eastus -o table"},
	{name: "group_create_missing_location", args: "group create -n myResourceGroup", code: 2},
	{name: "group_show_yaml", args: "group show -n myResourceGroup -o yaml", setup: seedGroup},
	{name: "group_show_not_found", args: "group show -n nope", code: 3},
	{name: "group_list_table", args: "group list -o table", setup: seedGroup},
	{name: "group_delete_no_yes", args: "group delete -n myResourceGroup", setup: seedGroup, code: 1},
	{name: "group_delete", args: "group delete -n myResourceGroup --yes", setup: seedGroup},
	// aks create
	{name: "aks_create_tag_core", args: "aks create --resource-group myResourceGroup --name myAKSCluster --api-server-authorized-ip-ranges AzureCloud,20.20.20.20 --generate-ssh-keys", setup: seedGroup, code: 1},
	{name: "aks_create_tag_preview", args: "aks create --resource-group myResourceGroup --name myAKSCluster --api-server-authorized-ip-ranges AzureCloud,20.20.20.20 --generate-ssh-keys", setup: seedGroup, preview: true},
	{name: "aks_create_ip", args: "aks create -g myResourceGroup -n myAKSCluster -l eastus --api-server-authorized-ip-ranges 20.20.20.20 --generate-ssh-keys --node-count 1 -o table", setup: seedGroup},
	{name: "aks_create_no_wait", args: "aks create -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges 20.20.20.20 --no-wait", setup: seedGroup},
	{name: "aks_create_private_with_ranges", args: "aks create -g myResourceGroup -n myAKSCluster --enable-private-cluster --api-server-authorized-ip-ranges 20.20.20.20", setup: seedGroup, code: 1},
	{name: "aks_create_basic_lb", args: "aks create -g myResourceGroup -n myAKSCluster --load-balancer-sku basic --api-server-authorized-ip-ranges 20.20.20.20", setup: seedGroup, code: 1},
	{name: "aks_create_egress_mixed", args: "aks create -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges 0.0.0.0/32,20.20.20.20", setup: seedGroup, code: 1},
	{name: "aks_create_private_range", args: "aks create -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges 10.0.0.0/8", setup: seedGroup, code: 1},
	{name: "aks_create_ipv6", args: "aks create -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges 2001:4860::/32", setup: seedGroup, code: 1},
	{name: "aks_create_server_rejects", args: "aks create -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges AzureCloud,Storage", setup: seedGroup, preview: true, code: 1},
	{name: "aks_create_no_group", args: "aks create -g nope -n myAKSCluster", code: 3},
	{name: "aks_create_failed_operation", args: "aks create -g myResourceGroup -n myAKSCluster -l eastus", setup: failing, code: 1},
	{name: "aks_create_missing_args", args: "aks create --name myAKSCluster", code: 2},
	// aks show / list
	{name: "aks_show", args: "aks show -g myResourceGroup -n myAKSCluster", setup: seedCluster},
	{name: "aks_show_query_ranges", args: "aks show -g myResourceGroup -n myAKSCluster --query apiServerAccessProfile.authorizedIpRanges", setup: seedCluster},
	{name: "aks_show_query_ranges_tsv", args: "aks show -g myResourceGroup -n myAKSCluster --query apiServerAccessProfile.authorizedIpRanges -o tsv", setup: seedCluster},
	{name: "aks_show_query_multiselect", args: "aks show -g myResourceGroup -n myAKSCluster --query {name:name,ranges:apiServerAccessProfile.authorizedIpRanges,state:provisioningState} -o table", setup: seedCluster},
	{name: "aks_show_table", args: "aks show -g myResourceGroup -n myAKSCluster -o table", setup: seedCluster},
	{name: "aks_show_tsv", args: "aks show -g myResourceGroup -n myAKSCluster -o tsv", setup: seedCluster},
	{name: "aks_show_none", args: "aks show -g myResourceGroup -n myAKSCluster -o none", setup: seedCluster},
	{name: "aks_show_not_found", args: "aks show -g myResourceGroup -n myAKSCluster", setup: seedGroup, code: 3},
	{name: "aks_show_bad_query", args: "aks show -g myResourceGroup -n myAKSCluster --query [[", setup: seedCluster, code: 2},
	{name: "aks_show_bad_output", args: "aks show -g myResourceGroup -n myAKSCluster -o xml", setup: seedCluster, code: 2},
	{name: "aks_list_table", args: "aks list -o table", setup: seedCluster},
	{name: "aks_list_group_tsv", args: "aks list -g myResourceGroup --query [].{n:name,l:location} -o tsv", setup: seedCluster},
	// aks update
	{name: "aks_update_ranges", args: "aks update -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges 20.20.20.20,30.30.30.0/24 --query apiServerAccessProfile", setup: seedCluster},
	{name: "aks_update_disable", args: "aks update -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges '' --query apiServerAccessProfile", setup: seedCluster},
	{name: "aks_update_tags_keeps_ranges", args: "aks update -g myResourceGroup -n myAKSCluster --tags team=a --query {tags:tags,ranges:apiServerAccessProfile.authorizedIpRanges}", setup: seedCluster},
	{name: "aks_update_tag_core", args: "aks update -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges AzureCloud", setup: seedCluster, code: 1},
	{name: "aks_update_tag_preview", args: "aks update -g myResourceGroup -n myAKSCluster --api-server-authorized-ip-ranges AzureCloud --query apiServerAccessProfile.authorizedIpRanges", setup: seedCluster, preview: true},
	{name: "aks_update_nothing", args: "aks update -g myResourceGroup -n myAKSCluster", setup: seedCluster, code: 1},
	{name: "aks_update_private_needs_vnet", args: "aks update -g myResourceGroup -n myAKSCluster --enable-private-cluster", setup: seedCluster, code: 1},
	{name: "aks_update_not_found", args: "aks update -g myResourceGroup -n myAKSCluster --tags a=b", setup: seedGroup, code: 3},
	// aks delete / credentials
	{name: "aks_delete", args: "aks delete -g myResourceGroup -n myAKSCluster --yes", setup: seedCluster},
	{name: "aks_delete_no_wait", args: "aks delete -g myResourceGroup -n myAKSCluster --yes --no-wait", setup: seedCluster},
	{name: "aks_delete_no_yes", args: "aks delete -g myResourceGroup -n myAKSCluster", setup: seedCluster, code: 1},
	{name: "aks_get_credentials_stdout", args: "aks get-credentials -g myResourceGroup -n myAKSCluster --file -", setup: seedCluster},
	{name: "aks_get_credentials_not_found", args: "aks get-credentials -g myResourceGroup -n nope", setup: seedGroup, code: 3},
	// aks get-versions / get-upgrades / stop / start (issue 13)
	{name: "aks_get_versions", args: "aks get-versions --location eastus"},
	{name: "aks_get_versions_table", args: "aks get-versions -l eastus -o table"},
	{name: "aks_get_versions_missing_location", args: "aks get-versions", code: 2},
	{name: "aks_get_upgrades", args: "aks get-upgrades -g myResourceGroup -n myAKSCluster", setup: seedCluster},
	{name: "aks_get_upgrades_table", args: "aks get-upgrades -g myResourceGroup -n myAKSCluster -o table", setup: seedCluster},
	{name: "aks_stop", args: "aks stop -g myResourceGroup -n myAKSCluster", setup: seedCluster},
	{name: "aks_start_no_wait", args: "aks start -g myResourceGroup -n myAKSCluster --no-wait", setup: seedCluster},
	{name: "aks_stop_not_found", args: "aks stop -g myResourceGroup -n nope", setup: seedGroup, code: 3},
	// aks nodepool (issue 13)
	{name: "aks_nodepool_list", args: "aks nodepool list -g myResourceGroup --cluster-name myAKSCluster", setup: seedCluster},
	{name: "aks_nodepool_list_table", args: "aks nodepool list -g myResourceGroup --cluster-name myAKSCluster -o table", setup: seedCluster},
	{name: "aks_nodepool_list_missing_cluster", args: "aks nodepool list -g myResourceGroup", code: 2},
	{name: "aks_nodepool_show", args: "aks nodepool show -g myResourceGroup --cluster-name myAKSCluster -n nodepool1", setup: seedCluster},
	{name: "aks_nodepool_show_not_found", args: "aks nodepool show -g myResourceGroup --cluster-name myAKSCluster -n nope", setup: seedCluster, code: 3},
	{name: "aks_nodepool_add", args: "aks nodepool add -g myResourceGroup --cluster-name myAKSCluster -n userpool --node-count 2 -o table", setup: seedCluster},
	{name: "aks_nodepool_scale", args: "aks nodepool scale -g myResourceGroup --cluster-name myAKSCluster -n nodepool1 --node-count 5 --query count", setup: seedCluster},
	{name: "aks_nodepool_scale_same", args: "aks nodepool scale -g myResourceGroup --cluster-name myAKSCluster -n nodepool1 --node-count 3", setup: seedCluster, code: 1},
	{name: "aks_nodepool_add_bad_name", args: "aks nodepool add -g myResourceGroup --cluster-name myAKSCluster -n user-pool", setup: seedCluster, code: 1},
	{name: "aks_nodepool_add_windows", args: "aks nodepool add -g myResourceGroup --cluster-name myAKSCluster -n win --os-type Windows --query vmSize", setup: seedCluster},
	{name: "aks_nodepool_delete", args: "aks nodepool delete -g myResourceGroup --cluster-name myAKSCluster -n nodepool1", setup: seedCluster},
	// network
	{name: "network_list_service_tags", args: "network list-service-tags --location eastus"},
	{name: "network_list_service_tags_query", args: "network list-service-tags --location eastus --query values[?name=='AzureCloud'].properties.addressPrefixes[] -o tsv"},
	{name: "network_list_service_tags_count", args: "network list-service-tags -l eastus --query {count:length(values),next:nextLink}"},
	{name: "network_list_service_tags_missing_location", args: "network list-service-tags", code: 2},
	// extension
	{name: "extension_list", args: "extension list --query [].{name:name,version:version,preview:preview}", preview: true},
	{name: "extension_add_again", args: "extension add --name aks-preview", preview: true},
	{name: "extension_add_unknown", args: "extension add --name nope", code: 1},
	{name: "extension_remove_missing", args: "extension remove --name aks-preview", code: 1},
	{name: "extension_update_missing", args: "extension update --name aks-preview", code: 1},
	// global
	{name: "unknown_flag", args: "aks show --bogus", code: 2},
	{name: "debug_redacts_token", args: "provider show -n Microsoft.ContainerService --debug --query registrationState", code: 0},
}
