package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/clientconfig"
)

// azVersion is the az release whose offline version-check seed az-env
// writes (Debian's azure-cli).
const azVersion = "2.45.0"

func newAzEnvCmd() *cobra.Command {
	var cfgPath, dir, cloud string
	var noLogin bool
	cmd := &cobra.Command{
		Use:   "az-env",
		Short: "Print the shell lines that point your own az CLI at tagwall (eval \"$(tagwall az-env)\")",
		Long: `Print POSIX shell lines that point a local az CLI at the server in the
client config: an AZURE_CONFIG_DIR of its own (your ~/.azure is left alone),
REQUESTS_CA_BUNDLE for the server's CA, no telemetry or survey, loopback kept
off any proxy; then, unless az is already set up there, az cloud register
(or update, after a port change), az cloud set and az login with the admin
service principal from the client config. It also writes az's
versionCheck.json there, so az makes no call to the internet.

  eval "$(tagwall az-env)"
  az feature register --namespace Microsoft.ContainerService --name EnableServiceTagAuthorizedIPPreview`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cc, path, err := loadClientConfig(cfgPath)
			if err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join(filepath.Dir(path), "az")
			}
			if dir, err = filepath.Abs(dir); err != nil {
				return err
			}
			if err := writeVersionCheck(dir, time.Now()); err != nil {
				return err
			}
			fresh := cachedTokenFresh(dir, cc.ClientID, time.Now())
			return writeAzEnv(cmd.OutOrStdout(), azEnv{cfg: cc, dir: dir, cloud: cloud, login: !noLogin, tokenFresh: fresh})
		},
	}
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&dir, "az-config-dir", "", "AZURE_CONFIG_DIR for az (default: az/ next to the client config)")
	cmd.Flags().StringVar(&cloud, "cloud", "tagwall", "the name az knows the server's cloud by")
	cmd.Flags().BoolVar(&noLogin, "no-login", false, "print only the environment, no az commands")
	return cmd
}

// writeVersionCheck seeds dir/versionCheck.json so az skips its daily
// HEAD https://azure.microsoft.com (valid for one day; az-env rewrites it).
func writeVersionCheck(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create az config dir %s: %w", dir, err)
	}
	v := map[string]any{
		"versions": map[string]any{
			"azure-cli": map[string]string{"local": azVersion}, "core": map[string]string{"local": azVersion},
			"telemetry": map[string]string{"local": "1.0.8"},
		},
		"update_time": now.Format("2006-01-02 15:04:05.000000"),
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p := filepath.Join(dir, "versionCheck.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

type azEnv struct {
	cfg   clientconfig.Config
	dir   string
	cloud string
	login bool
	// tokenFresh: az's cache holds a token for the principal that is valid
	// for more than tokenRefreshMargin, so the login may be skipped when
	// az is already set up for this endpoint.
	tokenFresh bool
}

// writeAzEnv prints the exports and, with login, the guarded az commands.
func writeAzEnv(w io.Writer, e azEnv) error {
	endpoint := strings.TrimRight(e.cfg.Endpoint, "/") + "/"
	var b strings.Builder
	fmt.Fprintf(&b, "# tagwall az-env: az CLI -> %s (eval \"$(tagwall az-env)\")\n", endpoint)
	fmt.Fprintf(&b, "export AZURE_CONFIG_DIR=%s\n", shq(e.dir))
	if e.cfg.CAFile != "" {
		ca, err := filepath.Abs(e.cfg.CAFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "export REQUESTS_CA_BUNDLE=%s\n", shq(ca))
	}
	b.WriteString("export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_SURVEY_MESSAGE=no\n")
	if host := endpointHost(endpoint); host != "" {
		// requests honours NO_PROXY: keep the server off any configured proxy.
		fmt.Fprintf(&b, "export NO_PROXY=%s${NO_PROXY:+,$NO_PROXY} no_proxy=%s${no_proxy:+,$no_proxy}\n", shq(host), shq(host))
	}
	if e.login {
		writeAzLogin(&b, e, endpoint)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAzLogin prints az cloud register|update, cloud set and login. They
// run only when az's files do not already show this endpoint and
// principal, or always when az's cached token for the principal is
// missing, expired or about to expire (it would otherwise be sent and
// refused with ExpiredAuthenticationToken).
func writeAzLogin(b *strings.Builder, e azEnv, endpoint string) {
	if e.cfg.ClientID == "" || e.cfg.ClientSecret == "" {
		b.WriteString("# the client config has no service principal: create one with `tagwall sp create`, then\n")
		b.WriteString("# az login --service-principal -u <appId> -p <password> --tenant <tenant>\n")
		return
	}
	cloud := shq(e.cloud)
	login := authn.LoginEndpoint(endpoint) // az appends the tenant, which the server checks
	tenant := e.cfg.Tenant
	if tenant == "" {
		tenant = "adfs"
	}
	if e.tokenFresh {
		// The login endpoint too: a cloud az-env registered before
		// authn.LoginEndpoint has one that ends in /adfs, under which az
		// drops the tenant, so it is registered again.
		fmt.Fprintf(b, "if ! grep -qsF %s \"$AZURE_CONFIG_DIR/clouds.config\" || ! grep -qsF %s \"$AZURE_CONFIG_DIR/clouds.config\" ||\n",
			shq("endpoint_resource_manager = "+endpoint), shq("endpoint_active_directory = "+login))
		fmt.Fprintf(b, "  ! grep -qsF %s \"$AZURE_CONFIG_DIR/azureProfile.json\"; then\n", shq(e.cfg.ClientID))
	} else {
		fmt.Fprintf(b, "# az has no token for %s valid for %s more: log in again\n", e.cfg.ClientID, tokenRefreshMargin)
		b.WriteString("if true; then\n")
	}
	// Graph and the portal point at tagwall too, whose answer says it does
	// not implement them (az ad …), instead of az blaming its clouds.config.
	cloudCfg := shq(fmt.Sprintf(`{"endpoints":{"resourceManager":%q,"activeDirectory":%q,"microsoftGraphResourceId":%q,"portal":%q}}`,
		endpoint, login, endpoint+"graph/", endpoint+"portal/"))
	fmt.Fprintf(b, "  az cloud register -n %s --cloud-config %s --only-show-errors -o none 2>/dev/null ||\n", cloud, cloudCfg)
	fmt.Fprintf(b, "    az cloud update -n %s --cloud-config %s --only-show-errors -o none\n", cloud, cloudCfg)
	fmt.Fprintf(b, "  az cloud set -n %s --only-show-errors -o none\n", cloud)
	fmt.Fprintf(b, "  az login --service-principal -u %s -p %s --tenant %s --only-show-errors -o none\n",
		shq(e.cfg.ClientID), shq(e.cfg.ClientSecret), shq(tenant))
	b.WriteString("fi\n")
}

// endpointHost returns the endpoint's host (no port), "" when unparsable.
func endpointHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}

// shq quotes s for a POSIX shell.
func shq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
