package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// extensionArgs are the flags of the extension commands.
type extensionArgs struct {
	name string
}

func extensionNameFlag(c *cobra.Command, args *extensionArgs) {
	c.Flags().StringVarP(&args.name, "name", "n", "", "Name of the extension (aks-preview)")
}

// loadExtensionsFor checks --name and loads the state.
func (a *app) loadExtensionsFor() (extensionState, error) {
	if err := a.required("--name/-n"); err != nil {
		return extensionState{}, err
	}
	st, err := a.loadExtensions()
	if err != nil {
		return st, userError("%v", err)
	}
	return st, nil
}
