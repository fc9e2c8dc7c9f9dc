package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/clientconfig"
)

// adminClient calls tagwall's /tagwall administration API with the client
// config's endpoint, CA and admin token.
type adminClient struct {
	cfg  clientconfig.Config
	http *http.Client
}

// configFlag registers --config (the client config file).
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "config", "", "client config file (default $TAGWALL_CONFIG or ~/.config/tagwall/config.json)")
}

// loadClientConfig reads the client config at path ("" = the default).
func loadClientConfig(path string) (clientconfig.Config, string, error) {
	if path == "" {
		p, err := clientconfig.DefaultPath()
		if err != nil {
			return clientconfig.Config{}, "", err
		}
		path = p
	}
	cc, err := clientconfig.Load(path)
	return cc, path, err
}

func newAdminClient(configPath string) (*adminClient, error) {
	cc, _, err := loadClientConfig(configPath)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cc.CAFile != "" {
		pem, err := os.ReadFile(cc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read the server's CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read the server's CA %s: no certificate", cc.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &adminClient{cfg: cc, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// do sends one request and decodes a 2xx JSON answer into out (nil: none).
// An ARM error answer becomes an error "CODE: message".
func (c *adminClient) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := strings.TrimRight(c.cfg.Endpoint, "/") + path
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		var env arm.Envelope
		if json.Unmarshal(b, &env) == nil && env.Error != nil {
			return fmt.Errorf("%s %s: (%s) %s", method, u, env.Error.Code, env.Error.Message)
		}
		return fmt.Errorf("%s %s: status %d", method, u, resp.StatusCode)
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", method, u, err)
	}
	return nil
}

// printJSON writes v indented, as az does.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func newSPCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sp",
		Short: "Service principals that log in with az login --service-principal (kept by the running server)",
	}
	cmd.AddCommand(newSPCreateCmd(), newSPListCmd(), newSPDeleteCmd())
	return cmd
}

func newSPCreateCmd() *cobra.Command {
	var cfg, name string
	var subs []string
	var all bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a service principal and print its appId and password (shown once)",
		Long: `Create a service principal on the server named by the client config, with
the admin token. It may use the given subscriptions (default: the client
config's subscription), or every subscription with --all-subscriptions.
The password is printed once; the server keeps only a salted hash.

  tagwall sp create --name ci --subscription 00000000-0000-0000-0000-000000000000
  az login --service-principal -u <appId> -p <password> --tenant <tenant>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(cfg)
			if err != nil {
				return err
			}
			if len(subs) == 0 && !all {
				subs = []string{c.cfg.Subscription}
			}
			req := authn.CreatePrincipalRequest{DisplayName: name, Subscriptions: subs, AllSubscriptions: all}
			var out authn.PrincipalBody
			if err := c.do(http.MethodPost, "/tagwall/servicePrincipals", req, &out); err != nil {
				return fmt.Errorf("create service principal %q: %w", name, err)
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	configFlag(cmd, &cfg)
	cmd.Flags().StringVarP(&name, "name", "n", "", "display name (default tagwall-sp-<id>)")
	cmd.Flags().StringSliceVar(&subs, "subscription", nil, "subscription the principal may use (repeatable; default: the client config's)")
	cmd.Flags().BoolVar(&all, "all-subscriptions", false, "may use every subscription (an administrator)")
	return cmd
}

func newSPListCmd() *cobra.Command {
	return newAdminListCmd[authn.PrincipalBody]("List service principals (never their secrets)", "/tagwall/servicePrincipals", "service principals")
}

// newAdminListCmd is a `list` subcommand: GET path on the admin API and
// print the answer's value array as JSON.
func newAdminListCmd[T any](short, path, what string) *cobra.Command {
	var cfg string
	cmd := &cobra.Command{
		Use:   "list",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(cfg)
			if err != nil {
				return err
			}
			var out struct {
				Value []T `json:"value"`
			}
			if err := c.do(http.MethodGet, path, nil, &out); err != nil {
				return fmt.Errorf("list %s: %w", what, err)
			}
			return printJSON(cmd.OutOrStdout(), out.Value)
		},
	}
	configFlag(cmd, &cfg)
	return cmd
}

func newSPDeleteCmd() *cobra.Command {
	var cfg, id string
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete a service principal; its tokens stop working at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usageError(fmt.Errorf("sp delete: --id is required"))
			}
			c, err := newAdminClient(cfg)
			if err != nil {
				return err
			}
			if err := c.do(http.MethodDelete, "/tagwall/servicePrincipals/"+id, nil, nil); err != nil {
				return fmt.Errorf("delete service principal %q: %w", id, err)
			}
			return nil
		},
	}
	configFlag(cmd, &cfg)
	cmd.Flags().StringVar(&id, "id", "", "the principal's appId")
	return cmd
}
