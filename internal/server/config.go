package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// Defaults of Config.
const (
	DefaultAPIAddr            = "127.0.0.1:8443"
	DefaultGatewayAddr        = "127.0.0.1:6443"
	DefaultMetricsAddr        = "127.0.0.1:9100"
	DefaultServiceTagsRefresh = 24 * time.Hour
	DefaultFeatureDelay       = 2 * time.Minute
	DefaultDNSSuffix          = "hcp.tagwall.local"
	// API and metrics server bounds (docs/serve.md, "Lifecycle and limits").
	DefaultAPIReadTimeout        = 30 * time.Second
	DefaultAPIWriteTimeout       = 2 * time.Minute
	DefaultAPIIdleTimeout        = 2 * time.Minute
	DefaultMaxAPIConnections     = 1024
	DefaultMaxMetricsConnections = 64
	DefaultShutdownTimeout       = 4 * time.Second
	DefaultMetricsTopRefused     = 10
)

// Config is everything `tagwall serve` is told. Zero fields take defaults.
type Config struct {
	DataDir     string // required
	APIAddr     string // HTTPS ARM API
	GatewayAddr string // the front door
	MetricsAddr string // Prometheus /metrics, /healthz, /readyz; "-" disables

	// GatewayAdvertise is the front door's host:port put in kubeconfigs;
	// default: the bound gateway address (an unspecified host becomes
	// 127.0.0.1).
	GatewayAdvertise string

	TrustedProxies []netip.Prefix // peers allowed to send PROXY headers
	TLSCertFile    string         // API certificate instead of the generated one
	TLSKeyFile     string
	TokenFile      string // read the admin token from here instead of generating one
	Subscription   string // default subscription id (else generated and kept)

	// ServiceTags are the service-tag sources in priority order (paths,
	// URLs, download pages, discovery-API URLs). None: the defaults of
	// ServiceTagsCloud (servicetag.DefaultSources: the live download page,
	// else the cache, else the embedded snapshot); given, they replace
	// both (no embedded snapshot).
	ServiceTags []string
	// Feeds are other clouds' published ranges (serve --feeds), sources
	// after Azure's (ServiceTags, or the cloud's defaults), each at its
	// published URLs with its embedded snapshot where one exists (GitHub
	// meta). None by default.
	Feeds              []servicetag.Feed
	ServiceTagsCloud   string // Public (default), AzureGovernment or China
	ServiceTagsRefresh time.Duration
	// ServiceTagsHTTP configures the HTTP sources (tests point them at
	// loopback).
	ServiceTagsHTTP servicetag.HTTPOptions
	FeatureDelay    time.Duration
	// OperationRetention is how long an ended operation's record (its
	// status URLs) is kept before the controller deletes it
	// (controller.DefaultOperationRetention when zero).
	OperationRetention time.Duration
	// MaxEndedOperations bounds the ended operations' records whatever
	// their age (controller.Config.MaxEndedOperations: 0 its default,
	// negative no bound).
	MaxEndedOperations int
	SystemRanges       []netip.Prefix // admitted by every cluster besides its own list
	Upstreams          []Upstream     // clusters served by a real kube-apiserver
	DNSSuffix          string

	// DisableConsole turns off the web console (ConsolePath on the API
	// address) and the front door's decision history it shows.
	DisableConsole bool

	// ClientConfigPath is where the client config is written; "" skips it.
	ClientConfigPath string

	// Store is StoreBolt (default: the data dir's file) or StoreEtcd:
	// several replicas share the state in etcd (Etcd says where), each
	// serving the API and the front door.
	Store string
	Etcd  EtcdConfig
	// ClaimTTL is the lease of a claim on once-only work (operations,
	// feature timers, service-tag refreshes): a dead replica's work moves
	// to another within about this long. Default DefaultClaimTTL.
	ClaimTTL time.Duration

	// AllowEmptyStore starts on a missing or 0-byte bbolt store even when
	// the data dir holds an identity from an earlier start (token, CA,
	// clusters/): by default that is refused (datadir.CheckStore), as it
	// means every cluster is gone.
	AllowEmptyStore bool
	// APIReadTimeout bounds the arrival of one request, body included;
	// APIWriteTimeout the writing of its response (long enough for the
	// largest, a service-tag document to a slow client); APIIdleTimeout
	// how long a keep-alive connection may wait for its next request. The
	// metrics server has the same bounds. Defaults DefaultAPI*.
	APIReadTimeout, APIWriteTimeout, APIIdleTimeout time.Duration
	// MaxAPIConnections and MaxMetricsConnections cap the connections each
	// server has open at once; further clients wait in the kernel's accept
	// queue. Defaults DefaultMax*Connections.
	MaxAPIConnections, MaxMetricsConnections int
	// ShutdownTimeout bounds Close's wait for requests and front-door
	// connections in flight; default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Front-door bounds (gateway.Config): ClientHelloTimeout bounds accept
	// to a complete PROXY header and ClientHello; MaxConns caps live
	// connections, MaxUndecided the connections not yet decided (the oldest
	// is dropped for a new one), MaxUndecidedPerSource those of one source.
	// Zero means the gateway's default (derived from the fd limit).
	ClientHelloTimeout                            time.Duration
	MaxConns, MaxUndecided, MaxUndecidedPerSource int

	// Per-subscription quotas and the extra locations the API accepts
	// (api.Config): zero quotas mean the API's defaults (1,000 clusters,
	// 980 resource groups), negative means no limit.
	MaxClustersPerSubscription, MaxResourceGroupsPerSubscription int
	ExtraLocations                                               []string

	// ARMThrottle, when set, charges every authenticated API request to
	// ARM's token buckets (api.Config.Throttle; zero fields: Azure's
	// buckets). nil: no throttling. serve sets it unless --arm-throttle=false.
	ARMThrottle *armthrottle.Config

	// MetricsPerCluster exports the front door's connection, byte,
	// revocation, allowlist-version and prefix series per cluster (9 a
	// cluster). By default they are summed over the clusters (route="*")
	// so /metrics does not grow with the fleet.
	MetricsPerCluster bool
	// MetricsTopRefused is the number of clusters with the most refused
	// connections exported as tagwall_gateway_top_refused_connections
	// (a bounded series set); default DefaultMetricsTopRefused, negative
	// for none.
	MetricsTopRefused int

	// KubeAPIServer, when set, is the kube-apiserver binary that serves
	// each cluster instead of a stand-in (a real Kubernetes API and its
	// storage; no nodes). Their data lives in the etcd at
	// KubeEtcdEndpoints under KubeEtcdPrefix, or, when no endpoints are
	// given, in a local etcd the server starts in DATA/kube-etcd. At most
	// MaxKubeAPIServers run at once (kubefleet.DefaultMax when zero), at
	// most MaxKubeAPIServersPerSubscription of one subscription (0: no cap
	// but MaxKubeAPIServers).
	KubeAPIServer                    string
	KubeEtcdEndpoints                []string
	KubeEtcdPrefix                   string
	MaxKubeAPIServers                int
	MaxKubeAPIServersPerSubscription int

	// ServiceTagsWithVnetIntegration follows the newer AKS (since 2026-03):
	// a service tag is allowed with API Server VNet Integration, whose
	// list limit is 2,000. Off: the seed's refusal.
	ServiceTagsWithVnetIntegration bool

	// DisableController runs the API without the controller, so nothing
	// moves out of Creating/Registering (restart tests; a read-only API).
	DisableController bool

	Logger *slog.Logger
	// Audit, when set, receives the front door's audit lines (one JSON
	// line per denied connection) through the gateway's buffered encoder
	// instead of Logger. nil sends them to Logger.
	Audit io.Writer
	Now   func() time.Time
}

// Upstream points one cluster at a real kube-apiserver.
type Upstream struct {
	Cluster string // resource id (case-insensitive) or cluster name
	Addr    string // host:port
	CAFile  string // the server's CA, put in kubeconfigs ("" = system roots)
}

// ParseUpstream parses `CLUSTER=HOST:PORT[,ca=FILE]`.
func ParseUpstream(s string) (Upstream, error) {
	id, rest, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(id) == "" {
		return Upstream{}, fmt.Errorf("parse upstream %q: want CLUSTER=HOST:PORT[,ca=FILE]", s)
	}
	parts := strings.Split(rest, ",")
	u := Upstream{Cluster: strings.TrimSpace(id), Addr: strings.TrimSpace(parts[0])}
	if _, port, err := net.SplitHostPort(u.Addr); err != nil || port == "" {
		return Upstream{}, fmt.Errorf("parse upstream %q: address %q is not host:port", s, u.Addr)
	}
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(opt, "=")
		switch strings.TrimSpace(k) {
		case "ca":
			if v == "" {
				return Upstream{}, fmt.Errorf("parse upstream %q: empty ca file", s)
			}
			u.CAFile = v
		default:
			return Upstream{}, fmt.Errorf("parse upstream %q: unknown option %q (known: ca)", s, k)
		}
	}
	return u, nil
}

// matches reports whether u names the cluster with this resource id.
func (u Upstream) matches(clusterID string) bool {
	if strings.EqualFold(u.Cluster, clusterID) {
		return true
	}
	name := clusterID[strings.LastIndex(clusterID, "/")+1:]
	return !strings.Contains(u.Cluster, "/") && strings.EqualFold(u.Cluster, name)
}

// DefaultDataDir is $XDG_STATE_HOME/tagwall, else ~/.local/state/tagwall.
func DefaultDataDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "tagwall"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locate data dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "tagwall"), nil
}

func (c *Config) setDefaults() error {
	if c.DataDir == "" {
		return fmt.Errorf("configure server: a data dir is required")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return fmt.Errorf("configure server: --tls-cert and --tls-key go together")
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.APIAddr, DefaultAPIAddr)
	def(&c.GatewayAddr, DefaultGatewayAddr)
	def(&c.MetricsAddr, DefaultMetricsAddr)
	def(&c.DNSSuffix, DefaultDNSSuffix)
	def(&c.Store, StoreBolt)
	def(&c.Etcd.Prefix, DefaultEtcdPrefix)
	switch {
	case c.Store != StoreBolt && c.Store != StoreEtcd:
		return fmt.Errorf("configure server: store %q: want %s or %s", c.Store, StoreBolt, StoreEtcd)
	case c.Store == StoreEtcd && len(c.Etcd.Endpoints) == 0:
		return fmt.Errorf("configure server: store %s needs etcd endpoints", StoreEtcd)
	}
	c.setLimitDefaults()
	if c.ClaimTTL <= 0 {
		c.ClaimTTL = DefaultClaimTTL
	}
	if c.ServiceTagsRefresh <= 0 {
		c.ServiceTagsRefresh = DefaultServiceTagsRefresh
	}
	if c.FeatureDelay == 0 {
		c.FeatureDelay = DefaultFeatureDelay
	}
	if len(c.ServiceTags) == 0 && servicetag.DefaultSources(c.ServiceTagsCloud) == nil {
		return fmt.Errorf("configure server: service-tag cloud %q: want Public, AzureGovernment or China", c.ServiceTagsCloud)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// setLimitDefaults fills the zero bounds of the API and metrics servers.
func (c *Config) setLimitDefaults() {
	dur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	dur(&c.APIReadTimeout, DefaultAPIReadTimeout)
	dur(&c.APIWriteTimeout, DefaultAPIWriteTimeout)
	dur(&c.APIIdleTimeout, DefaultAPIIdleTimeout)
	dur(&c.ShutdownTimeout, DefaultShutdownTimeout)
	switch {
	case c.MetricsTopRefused == 0:
		c.MetricsTopRefused = DefaultMetricsTopRefused
	case c.MetricsTopRefused < 0:
		c.MetricsTopRefused = 0
	}
	if c.MaxAPIConnections <= 0 {
		c.MaxAPIConnections = DefaultMaxAPIConnections
	}
	if c.MaxMetricsConnections <= 0 {
		c.MaxMetricsConnections = DefaultMaxMetricsConnections
	}
}
