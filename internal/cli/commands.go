package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// groupList is every command group, in the order `tagwall --help` shows
// them; a nested group ("aks nodepool") follows its parent.
var groupList = []struct{ path, short string }{
	{"extension", "Manage CLI extensions (only aks-preview: a local switch)"},
	{"feature", "Manage resource provider features (az feature)"},
	{"provider", "Manage resource providers (az provider)"},
	{"group", "Manage resource groups (az group)"},
	{"aks", "Manage managed clusters (az aks)"},
	{"aks nodepool", "Manage node pools of a managed cluster (az aks nodepool)"},
	{"network", "Network commands (az network)"},
}

// commandList is the one registration point: every subcommand, by its
// path under `tagwall`, with the constructor in <path with _>.go. There is
// no init() registration anywhere in this package.
var commandList = []struct {
	path string
	new  func(*app) *cobra.Command
}{
	{"extension add", newExtensionAddCmd},
	{"extension update", newExtensionUpdateCmd},
	{"extension list", newExtensionListCmd},
	{"extension remove", newExtensionRemoveCmd},
	{"feature register", newFeatureRegisterCmd},
	{"feature unregister", newFeatureUnregisterCmd},
	{"feature show", newFeatureShowCmd},
	{"feature list", newFeatureListCmd},
	{"provider register", newProviderRegisterCmd},
	{"provider unregister", newProviderUnregisterCmd},
	{"provider show", newProviderShowCmd},
	{"provider list", newProviderListCmd},
	{"group create", newGroupCreateCmd},
	{"group show", newGroupShowCmd},
	{"group list", newGroupListCmd},
	{"group delete", newGroupDeleteCmd},
	{"aks create", newAksCreateCmd},
	{"aks update", newAksUpdateCmd},
	{"aks show", newAksShowCmd},
	{"aks list", newAksListCmd},
	{"aks delete", newAksDeleteCmd},
	{"aks get-credentials", newAksGetCredentialsCmd},
	{"aks get-versions", newAksGetVersionsCmd},
	{"aks get-upgrades", newAksGetUpgradesCmd},
	{"aks stop", newAksStopCmd},
	{"aks start", newAksStartCmd},
	{"aks nodepool list", newAksNodepoolListCmd},
	{"aks nodepool show", newAksNodepoolShowCmd},
	{"aks nodepool add", newAksNodepoolAddCmd},
	{"aks nodepool scale", newAksNodepoolScaleCmd},
	{"aks nodepool delete", newAksNodepoolDeleteCmd},
	{"network list-service-tags", newNetworkListServiceTagsCmd},
}

// GroupNames returns the az-shaped top-level command groups.
func GroupNames() []string {
	var out []string
	for _, g := range groupList {
		if !strings.Contains(g.path, " ") {
			out = append(out, g.path)
		}
	}
	return out
}

// Command builds one top-level command group ("aks", "feature", …) with
// its subcommands, global flags and az's flag-error handling, or nil.
func Command(env Env, name string) *cobra.Command {
	a := &app{env: env}
	byPath := map[string]*cobra.Command{}
	for _, g := range groupList {
		if g.path != name && !strings.HasPrefix(g.path, name+" ") {
			continue
		}
		parent, use := splitPath(g.path)
		c := &cobra.Command{Use: use, Short: g.short}
		if p := byPath[parent]; p != nil {
			p.AddCommand(c)
		}
		byPath[g.path] = c
	}
	root := byPath[name]
	if root == nil {
		return nil
	}
	for _, e := range commandList {
		parent, _ := splitPath(e.path)
		if g := byPath[parent]; g != nil {
			g.AddCommand(e.new(a))
		}
	}
	a.addGlobalFlags(root)
	root.SetFlagErrorFunc(FlagError)
	return root
}

// splitPath splits "aks nodepool list" into "aks nodepool" and "list".
func splitPath(p string) (parent, last string) {
	i := strings.LastIndex(p, " ")
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// Commands builds every top-level command group.
func Commands(env Env) []*cobra.Command {
	names := GroupNames()
	out := make([]*cobra.Command, 0, len(names))
	for _, n := range names {
		out = append(out, Command(env, n))
	}
	return out
}
