package gwconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/servicetag/snapshot"
)

// DefaultRefresh is the service-tag refresh interval when none is given.
const DefaultRefresh = time.Hour

// File is the YAML document, field for field. docs/gateway.md documents
// every key.
type File struct {
	Listen             string        `yaml:"listen"`
	Metrics            string        `yaml:"metrics"`
	ProxyProtocol      ProxyProtocol `yaml:"proxyProtocol"`
	ClientHelloTimeout time.Duration `yaml:"clientHelloTimeout"`
	DialTimeout        time.Duration `yaml:"dialTimeout"`
	// Connection caps (gateway.Config); 0 or absent: derived from the fd
	// limit.
	MaxConns              int                `yaml:"maxConns"`
	MaxUndecided          int                `yaml:"maxUndecided"`
	MaxUndecidedPerSource int                `yaml:"maxUndecidedPerSource"`
	RevokeExisting        *bool              `yaml:"revokeExisting"`
	AuditAllowed          bool               `yaml:"auditAllowed"`
	ServiceTags           []ServiceTagSource `yaml:"serviceTags"`
	// ServiceTagCache is the directory of the service-tag cache: each
	// source's last good document, held documents and the Set's state.
	// "" takes the command's default (a per-config-file directory under
	// the user cache dir).
	ServiceTagCache string          `yaml:"serviceTagCache"`
	ServiceTagPins  []ServiceTagPin `yaml:"serviceTagPins"`
	Routes          []RouteConfig   `yaml:"routes"`
	// UI serves the read-only web console under /ui/ on the metrics
	// address; UITokenFile holds the token that signs in to it.
	UI          bool   `yaml:"ui"`
	UITokenFile string `yaml:"uiTokenFile"`
	// Prefilter is the opt-in kernel prefilter (prefilter.go).
	Prefilter Prefilter `yaml:"prefilter"`
}

// ServiceTagPin keeps Tag at the version whose tag changeNumber is
// ChangeNumber (servicetag.Set.Pin) while it is listed.
type ServiceTagPin struct {
	Tag          string `yaml:"tag"`
	ChangeNumber int64  `yaml:"changeNumber"`
}

// ProxyProtocol says who may send a PROXY protocol header.
type ProxyProtocol struct {
	TrustedPeers []string `yaml:"trustedPeers"` // CIDRs or addresses
	Required     bool     `yaml:"required"`
}

// ServiceTagSource is one service-tag source: a path (relative to the
// config file's directory), an http(s) URL, a Microsoft download page
// (details.aspx?id=…) or a discovery-API URL (…/serviceTags).
type ServiceTagSource struct {
	Source string `yaml:"source"`
	// URL is another spelling of Source (`{feed: aws, url: …}`); give one.
	URL string `yaml:"url"`
	// Feed is another cloud's published ranges (github, aws, googlecloud,
	// google, oracle, cloudflare, fastly: servicetag.ParseFeedName); "" or
	// azure is Azure's service tags. A feed needs no source: it defaults to
	// the provider's published URLs, with its embedded snapshot where one
	// exists (GitHub meta).
	Feed string `yaml:"feed"`
	// URLs are a feed's locations when it is published in parts
	// (cloudflare: ips-v4 and ips-v6), instead of Source.
	URLs    []string      `yaml:"urls"`
	Refresh time.Duration `yaml:"refresh"`
	// Snapshot names the embedded last-good document put in force when the
	// source has no cache yet (azure-public, azure-government,
	// azure-china, github-meta); "" for none (a feed takes its own).
	Snapshot string `yaml:"snapshot"`
	// TokenFile holds the bearer token of a discovery-API source; it is
	// read at every fetch, so a rotated token is picked up.
	TokenFile string `yaml:"tokenFile"`
	// AcceptChangeNumber installs a document held for this source (see
	// servicetag.Set's update rule) when its changeNumber is this one: the
	// operator's accept, written in the file. 0: none.
	AcceptChangeNumber int64 `yaml:"acceptChangeNumber"`
}

// RouteConfig is one route.
type RouteConfig struct {
	Name               string   `yaml:"name"` // defaults to sni, or "default"
	SNI                string   `yaml:"sni"`  // "" or absent: the default route
	Upstream           string   `yaml:"upstream"`
	AuthorizedIPRanges []string `yaml:"authorizedIPRanges"`
	AllowAll           bool     `yaml:"allowAll"`
	// Grants are time-bound entries admitted until their expiry, which
	// the gateway enforces without a reload (at most
	// gateway.MaxGrantsPerRoute).
	Grants []GrantConfig `yaml:"grants"`
	// ShadowAuthorizedIPRanges, when set, is a list with the rules of
	// authorizedIPRanges that is evaluated on every connection and
	// enforces nothing (see gateway.Route.Shadow).
	ShadowAuthorizedIPRanges []string `yaml:"shadowAuthorizedIPRanges"`
}

// GrantConfig is one time-bound grant of a route.
type GrantConfig struct {
	Name    string    `yaml:"name"`    // defaults to grant-N (its index)
	Range   string    `yaml:"range"`   // an address or CIDR
	Expires time.Time `yaml:"expires"` // RFC 3339
	Reason  string    `yaml:"reason"`
}

// Config is a parsed, structurally valid File. Its ranges are checked by
// Compile, which needs the service-tag catalogs.
type Config struct {
	File
	// Dir is the directory relative source paths are resolved against.
	Dir     string
	trusted []netip.Prefix
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load gateway config %s: %w", path, err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Dir = filepath.Dir(path)
	return c, nil
}

// Parse decodes data strictly (unknown keys and trailing documents are
// errors), applies defaults and validates every field, reporting all
// problems at once. name is used in messages only.
func Parse(name string, data []byte) (*Config, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parse gateway config %s: empty file", name)
		}
		return nil, fmt.Errorf("parse gateway config %s: %w", name, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse gateway config %s: more than one YAML document", name)
	}
	c := &Config{File: f, Dir: "."}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("parse gateway config %s: %w", name, err)
	}
	return c, nil
}

// validate checks every field, fills defaults, and joins every problem.
func (c *Config) validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Listen == "" {
		add("listen: required (host:port)")
	} else if err := checkHostPort(c.Listen); err != nil {
		add("listen %q: %w", c.Listen, err)
	}
	if c.Metrics != "" {
		if err := checkHostPort(c.Metrics); err != nil {
			add("metrics %q: %w", c.Metrics, err)
		}
	}
	for i, s := range c.ProxyProtocol.TrustedPeers {
		p, err := parsePrefixOrAddr(s)
		if err != nil {
			add("proxyProtocol.trustedPeers[%d] %q: %w", i, s, err)
			continue
		}
		c.trusted = append(c.trusted, p)
	}
	if c.ProxyProtocol.Required && len(c.trusted) == 0 {
		add("proxyProtocol.required: needs at least one trustedPeers entry")
	}
	if c.ClientHelloTimeout < 0 {
		add("clientHelloTimeout %q: must not be negative", c.ClientHelloTimeout)
	}
	if c.DialTimeout < 0 {
		add("dialTimeout %q: must not be negative", c.DialTimeout)
	}
	for _, k := range []struct {
		key string
		v   int
	}{{"maxConns", c.MaxConns}, {"maxUndecided", c.MaxUndecided}, {"maxUndecidedPerSource", c.MaxUndecidedPerSource}} {
		if k.v < 0 {
			add("%s %d: must not be negative (0 derives it from the fd limit)", k.key, k.v)
		}
	}
	if c.UI && c.Metrics == "" {
		add("ui: needs metrics (the console is served on the metrics address)")
	}
	if c.UI && c.UITokenFile == "" {
		add("ui: needs uiTokenFile (a file holding the token that signs in to the console)")
	}
	errs = append(errs, c.validateSources()...)
	errs = append(errs, c.validateRoutes()...)
	errs = append(errs, c.validatePrefilter()...)
	return errors.Join(errs...)
}

// checkFeedKeys checks feed, url and urls of serviceTags[i] and
// normalises them: url becomes Source, feed its canonical name ("" for
// Azure's).
func checkFeedKeys(i int, s *ServiceTagSource) []error {
	var errs []error
	if s.URL != "" {
		if s.Source != "" {
			errs = append(errs, fmt.Errorf("serviceTags[%d]: source and url are one key; give one", i))
		}
		s.Source, s.URL = s.URL, ""
	}
	if s.Feed != "" {
		f, err := servicetag.ParseFeedName(s.Feed)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("serviceTags[%d].feed: %w", i, err))
		case f == servicetag.FeedAzure:
			s.Feed = ""
		default:
			s.Feed = string(f)
		}
	}
	switch {
	case len(s.URLs) > 0 && s.Feed == "":
		errs = append(errs, fmt.Errorf("serviceTags[%d].urls: only for another cloud's feed (feed: cloudflare)", i))
	case len(s.URLs) > 0 && s.Source != "":
		errs = append(errs, fmt.Errorf("serviceTags[%d]: give source or urls, not both", i))
	}
	return errs
}

func (c *Config) validateSources() []error {
	var errs []error
	seen := map[string]bool{}
	for i := range c.ServiceTags {
		s := &c.ServiceTags[i]
		errs = append(errs, checkFeedKeys(i, s)...)
		name := c.tagSource(*s).Name()
		switch {
		case s.Feed == "" && strings.TrimSpace(s.Source) == "":
			errs = append(errs, fmt.Errorf("serviceTags[%d].source: required (path or URL), or name a feed", i))
		case seen[name]:
			errs = append(errs, fmt.Errorf("serviceTags[%d] %q: listed twice", i, name))
		}
		seen[name] = true
		if s.Snapshot != "" {
			if _, ok := snapshot.Latest(s.Snapshot); !ok {
				errs = append(errs, fmt.Errorf("serviceTags[%d].snapshot %q: no such embedded snapshot (azure-public, azure-government, azure-china or github-meta)", i, s.Snapshot))
			}
		}
		if s.AcceptChangeNumber < 0 {
			errs = append(errs, fmt.Errorf("serviceTags[%d].acceptChangeNumber %d: must not be negative", i, s.AcceptChangeNumber))
		}
		if s.Refresh < 0 {
			errs = append(errs, fmt.Errorf("serviceTags[%d].refresh %q: must not be negative", i, s.Refresh))
		} else if s.Refresh == 0 {
			s.Refresh = DefaultRefresh
		}
	}
	pinned := map[string]int{}
	for i, p := range c.ServiceTagPins {
		key := strings.ToLower(strings.TrimSpace(p.Tag))
		switch j, dup := pinned[key]; {
		case key == "":
			errs = append(errs, fmt.Errorf("serviceTagPins[%d].tag: required", i))
		case dup:
			errs = append(errs, fmt.Errorf("serviceTagPins[%d].tag %q: already pinned by serviceTagPins[%d]", i, p.Tag, j))
		case p.ChangeNumber <= 0:
			errs = append(errs, fmt.Errorf("serviceTagPins[%d].changeNumber %d: must be positive", i, p.ChangeNumber))
		}
		pinned[key] = i
	}
	return errs
}

func (c *Config) validateRoutes() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(c.Routes) == 0 {
		add("routes: at least one route is required")
	}
	names, snis := map[string]int{}, map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		r.SNI = strings.ToLower(strings.TrimSpace(r.SNI))
		if err := checkSNI(r.SNI); err != nil {
			add("routes[%d].sni %q: %w", i, r.SNI, err)
		}
		if r.Name == "" {
			r.Name = r.SNI
			if r.Name == "" {
				r.Name = "default"
			}
		}
		if j, ok := names[r.Name]; ok {
			add("routes[%d].name %q: already used by routes[%d]", i, r.Name, j)
		}
		names[r.Name] = i
		if j, ok := snis[r.SNI]; ok {
			add("routes[%d].sni %q: already used by routes[%d]", i, r.SNI, j)
		}
		snis[r.SNI] = i
		if r.Upstream == "" {
			add("routes[%d].upstream: required (host:port)", i)
		} else if err := checkHostPort(r.Upstream); err != nil {
			add("routes[%d].upstream %q: %w", i, r.Upstream, err)
		}
		switch {
		case r.AllowAll && len(r.AuthorizedIPRanges) > 0:
			add("routes[%d] %q: allowAll and authorizedIPRanges exclude each other", i, r.Name)
		case !r.AllowAll && len(r.AuthorizedIPRanges) == 0:
			add("routes[%d] %q: authorizedIPRanges is empty: list the allowed ranges, or set allowAll: true to admit every client", i, r.Name)
		}
		errs = append(errs, validateGrants(i, r)...)
	}
	return errs
}

// validateGrants checks a route's grants and fills their default names.
func validateGrants(i int, r *RouteConfig) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(r.Grants) > gateway.MaxGrantsPerRoute {
		add("routes[%d] %q: grants: %d grants, at most %d", i, r.Name, len(r.Grants), gateway.MaxGrantsPerRoute)
	}
	names := map[string]int{}
	for j := range r.Grants {
		g := &r.Grants[j]
		if g.Name == "" {
			g.Name = "grant-" + strconv.Itoa(j)
		}
		if k, ok := names[g.Name]; ok {
			add("routes[%d].grants[%d].name %q: already used by grants[%d]", i, j, g.Name, k)
		}
		names[g.Name] = j
		if _, err := parsePrefixOrAddr(g.Range); err != nil {
			add("routes[%d].grants[%d].range %q: %w", i, j, g.Range, err)
		}
		if g.Expires.IsZero() {
			add("routes[%d].grants[%d].expires: required (RFC 3339 time)", i, j)
		}
	}
	return errs
}

// Gateway returns the gateway.Config the file describes (no Logger or
// Registerer: the caller supplies those).
func (c *Config) Gateway() gateway.Config {
	return gateway.Config{
		TrustedProxies:     append([]netip.Prefix(nil), c.trusted...),
		RequireProxyHeader: c.ProxyProtocol.Required,
		ClientHelloTimeout: c.ClientHelloTimeout,
		DialTimeout:        c.DialTimeout,
		RevokeExisting:     c.RevokeExisting,
		AuditAllowed:       c.AuditAllowed,

		MaxConns:              c.MaxConns,
		MaxUndecided:          c.MaxUndecided,
		MaxUndecidedPerSource: c.MaxUndecidedPerSource,
	}
}

// UITokenPath resolves UITokenFile against Dir.
func (c *Config) UITokenPath() string {
	if c.UITokenFile == "" || filepath.IsAbs(c.UITokenFile) {
		return c.UITokenFile
	}
	return filepath.Join(c.Dir, c.UITokenFile)
}

// SourceLocation resolves a source as given in the file: URLs unchanged,
// relative paths against Dir.
func (c *Config) SourceLocation(s ServiceTagSource) string {
	if strings.HasPrefix(s.Source, "http://") || strings.HasPrefix(s.Source, "https://") || filepath.IsAbs(s.Source) {
		return s.Source
	}
	return filepath.Join(c.Dir, s.Source)
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p != p.Masked() {
			return netip.Prefix{}, fmt.Errorf("host bits set: use %s", p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// checkSNI accepts "" (the default route) and DNS names: ASCII letters,
// digits, '-', '_' and '.', at most 253 characters, no empty label and no
// trailing dot (crypto/tls refuses one).
func checkSNI(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > 253 {
		return errors.New("longer than 253 characters")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("not a DNS name (empty or over-long label)")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("not a DNS name (character %q)", r)
			}
		}
	}
	return nil
}
