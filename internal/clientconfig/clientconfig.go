package clientconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is the client's view of one tagwall server.
type Config struct {
	Endpoint     string `json:"endpoint"`     // e.g. https://127.0.0.1:8443/
	CAFile       string `json:"caFile"`       // PEM bundle that verifies the endpoint ("" = system roots)
	Token        string `json:"token"`        // bearer token
	Subscription string `json:"subscription"` // default subscription id
	Tenant       string `json:"tenant,omitempty"`
	GatewayAddr  string `json:"gatewayAddr,omitempty"` // the front door, host:port
	// ClientID and ClientSecret are the admin service principal, for
	// az login --service-principal (see tagwall az-env).
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
}

// DefaultPath returns where the client config lives when no path is given.
func DefaultPath() (string, error) {
	if p := os.Getenv("TAGWALL_CONFIG"); p != "" {
		return p, nil
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate client config: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "tagwall", "config.json"), nil
}

// ErrNotFound is returned by Load when no client config exists at the path.
var ErrNotFound = errors.New("no tagwall client config")

// Load reads the config at path.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("load client config %s: %w (start `tagwall serve` once, or pass --endpoint)", path, ErrNotFound)
	}
	if err != nil {
		return Config{}, fmt.Errorf("load client config %s: %w", path, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("parse client config %s: %w", path, err)
	}
	return c, nil
}

// Save writes c to path with mode 0600, creating the directory (0700).
// It replaces the file atomically.
func Save(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save client config %s: %w", path, err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("save client config %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("save client config %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(b, '\n'))
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("save client config %s: %w", path, err)
	}
	return nil
}
