package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
)

// aksPreview is the one extension tagwall knows: it switches the
// client-side check of --api-server-authorized-ip-ranges to aks-preview's
// rules (unparseable entries pass to the server as service tags).
const aksPreview = "aks-preview"

// aksPreviewVersion is the version `extension list` reports: the first
// aks-preview release whose validator passes service tags (PR #7546).
const aksPreviewVersion = "4.0.0b1"

// extensionState is the local file "extensions.json" next to the client
// config that records installed extensions.
type extensionState struct {
	Extensions map[string]string `json:"extensions"` // name → version
}

func (a *app) extensionPath() (string, error) {
	p, err := a.configPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "extensions.json"), nil
}

func (a *app) loadExtensions() (extensionState, error) {
	st := extensionState{Extensions: map[string]string{}}
	p, err := a.extensionPath()
	if err != nil {
		return st, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read extension state %s: %w", p, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse extension state %s: %w", p, err)
	}
	if st.Extensions == nil {
		st.Extensions = map[string]string{}
	}
	return st, nil
}

func (a *app) saveExtensions(st extensionState) error {
	p, err := a.extensionPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("save extension state %s: %w", p, err)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(p, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save extension state %s: %w", p, err)
	}
	return nil
}

// previewInstalled reports whether aks-preview is "installed".
func (a *app) previewInstalled() (bool, error) {
	st, err := a.loadExtensions()
	if err != nil {
		return false, err
	}
	_, ok := st.Extensions[aksPreview]
	return ok, nil
}

func newExtensionCmd(a *app) *cobra.Command {
	g := &cobra.Command{Use: "extension", Short: "Manage CLI extensions (only aks-preview: a local switch)"}
	var name string
	nameFlag := func(c *cobra.Command) {
		c.Flags().StringVarP(&name, "name", "n", "", "Name of the extension (aks-preview)")
	}
	mutate := func(op string) action {
		return func(_ context.Context, c *cobra.Command) (any, error) {
			if err := required(c, "--name/-n"); err != nil {
				return nil, err
			}
			st, err := a.loadExtensions()
			if err != nil {
				return nil, userError("%v", err)
			}
			_, installed := st.Extensions[name]
			switch {
			case op == "add" && name != aksPreview:
				return nil, userError("No matching extensions for '%s'. Use --debug for more information.", name)
			case op == "add" && installed:
				a.warn(c, "Extension '%s' is already installed.", name)
				return nil, nil
			case op != "add" && !installed:
				return nil, userError("The extension %s is not installed.", name)
			case op == "remove":
				delete(st.Extensions, name)
			case op == "update":
				a.warn(c, "Latest version of '%s' is already installed.", name)
				return nil, nil
			default:
				st.Extensions[name] = aksPreviewVersion
				a.warn(c, "The installed extension '%s' is in preview.", name)
			}
			if err := a.saveExtensions(st); err != nil {
				return nil, userError("%v", err)
			}
			return nil, nil
		}
	}
	add := &cobra.Command{Use: "add", Short: "Add an extension", RunE: a.run(nil, mutate("add"))}
	nameFlag(add)
	add.Flags().Bool("upgrade", false, "Accepted and ignored (az compatibility)")
	add.Flags().BoolP("yes", "y", false, "Accepted and ignored (az compatibility)")
	upd := &cobra.Command{Use: "update", Short: "Update an extension", RunE: a.run(nil, mutate("update"))}
	nameFlag(upd)
	rm := &cobra.Command{Use: "remove", Short: "Remove an extension", RunE: a.run(nil, mutate("remove"))}
	nameFlag(rm)
	list := &cobra.Command{Use: "list", Short: "List installed extensions", RunE: a.run(nil,
		func(_ context.Context, _ *cobra.Command) (any, error) {
			st, err := a.loadExtensions()
			if err != nil {
				return nil, userError("%v", err)
			}
			p, _ := a.extensionPath()
			names := make([]string, 0, len(st.Extensions))
			for n := range st.Extensions {
				names = append(names, n)
			}
			sort.Strings(names)
			out := []any{}
			for _, n := range names {
				out = append(out, map[string]any{
					"experimental": false, "extensionType": "whl", "name": n,
					"path": p, "preview": true, "version": st.Extensions[n],
				})
			}
			return out, nil
		})}
	g.AddCommand(add, upd, list, rm)
	return g
}
