package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/kubefleet"
	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// serveFlags are the raw flag values of `tagwall serve`.
type serveFlags struct {
	cfg            server.Config
	trusted        []string
	systemRanges   []string
	feeds          string
	upstreams      []string
	prefilter      string // "", "drop" or "reject"
	logLevel       string
	clientConfig   string
	noClientConfig bool
	armThrottle    bool
}

func newServeCmd() *cobra.Command { return newServeCmdWith(&serveFlags{}) }

// newServeCmdWith builds the command, parsing its flags into f.
func newServeCmdWith(f *serveFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the control plane: ARM API, controller, front door and stand-in API servers",
		Long: `Run tagwall's control plane in one process: the ARM-compatible API (HTTPS),
the controller, the front door (TLS/SNI gateway) and a stand-in kube-apiserver
per cluster. With no flags it keeps its state in the data dir, generates a CA,
an API certificate, an admin token and a default subscription at first start,
and writes the client config the tagwall CLI reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config()
			if err != nil {
				return usageError(err)
			}
			// Operational lines go through a queue that drops rather than
			// blocks, so a stalled stderr never holds a connection or the
			// API; the gateway's audit lines have their own bounded queue.
			logq := newLogQueue(cmd.ErrOrStderr())
			defer logq.drain(time.Second)
			cfg.Logger = newLogger(logq, f.logLevel)
			if l, _ := parseLevel(f.logLevel); l <= slog.LevelInfo {
				// Audit lines are INFO records: JSON, one per denied
				// connection (repeats collapsed), written by the gateway's
				// bounded audit queue, which drops and counts when full.
				cfg.Audit = cmd.ErrOrStderr()
			}
			if soft, hard, err := gateway.RaiseFDLimit(); err != nil {
				cfg.Logger.Warn("fd limit not raised", "soft", soft, "hard", hard, "error", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			pf, err := f.prefilterConfig(cfg)
			if err != nil {
				return usageError(err)
			}
			return runServe(ctx, cfg, pf)
		},
	}
	fl := cmd.Flags()
	f.addServerFlags(fl)
	f.addAPIFlags(fl)
	f.addFrontDoorFlags(fl)
	f.addStoreFlags(fl)
	return cmd
}

// addServerFlags registers the flags of the process: data dir, listeners, identity, client config, logging and the API server's limits.
func (f *serveFlags) addServerFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.DataDir, "data-dir", "", "state directory (default $XDG_STATE_HOME/tagwall or ~/.local/state/tagwall)")
	fl.StringVar(&f.cfg.APIAddr, "api-addr", server.DefaultAPIAddr, "ARM API listen address (HTTPS)")
	fl.StringVar(&f.cfg.MetricsAddr, "metrics-addr", server.DefaultMetricsAddr, `metrics, /healthz and /readyz listen address ("-" disables)`)
	fl.StringVar(&f.cfg.TLSCertFile, "tls-cert", "", "API certificate (PEM chain) instead of the generated one")
	fl.StringVar(&f.cfg.TLSKeyFile, "tls-key", "", "key of --tls-cert")
	fl.StringVar(&f.cfg.TokenFile, "token-file", "", "read the admin bearer token from this file instead of generating one")
	fl.StringVar(&f.cfg.Subscription, "subscription", "", "default subscription id (default: generated at first start and kept)")
	fl.StringVar(&f.clientConfig, "client-config", "", "where to write the client config (default $TAGWALL_CONFIG or ~/.config/tagwall/config.json)")
	fl.BoolVar(&f.noClientConfig, "no-client-config", false, "do not write the client config")
	fl.BoolVar(&f.cfg.DisableConsole, "no-console", false, "do not serve the web console (/ui/ on the API address)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.DurationVar(&f.cfg.APIReadTimeout, "api-read-timeout", server.DefaultAPIReadTimeout, "time a client has to send one API request, body included (also the metrics server)")
	fl.DurationVar(&f.cfg.APIWriteTimeout, "api-write-timeout", server.DefaultAPIWriteTimeout, "time to write one API response (also the metrics server)")
	fl.DurationVar(&f.cfg.APIIdleTimeout, "api-idle-timeout", server.DefaultAPIIdleTimeout, "an idle keep-alive API connection is closed after this (also the metrics server)")
	fl.IntVar(&f.cfg.MaxAPIConnections, "max-api-connections", server.DefaultMaxAPIConnections, "API connections open at once; more wait in the accept queue")
	fl.IntVar(&f.cfg.MaxMetricsConnections, "max-metrics-connections", server.DefaultMaxMetricsConnections, "metrics-server connections open at once; more wait in the accept queue")
}

// addAPIFlags registers the flags of the ARM API's behaviour: timers, quotas, the throttle, locations and the service-tag catalog.
func (f *serveFlags) addAPIFlags(fl *pflag.FlagSet) {
	fl.DurationVar(&f.cfg.FeatureDelay, "feature-registration-delay", server.DefaultFeatureDelay, "time a feature stays Registering")
	fl.DurationVar(&f.cfg.OperationRetention, "operation-retention", controller.DefaultOperationRetention, "an ended operation's status URLs answer this long; then its record is deleted")
	fl.IntVar(&f.cfg.MaxEndedOperations, "max-ended-operations", controller.DefaultMaxEndedOperations, "ended operations' records kept whatever their age; past it the oldest are deleted first (negative: no bound but --operation-retention)")
	fl.IntVar(&f.cfg.MaxClustersPerSubscription, "max-clusters-per-subscription", api.DefaultMaxClustersPerSubscription, "managed clusters one subscription may hold (a create past it gets 409 QuotaExceeded; negative: no limit)")
	fl.IntVar(&f.cfg.MaxResourceGroupsPerSubscription, "max-resource-groups-per-subscription", api.DefaultMaxResourceGroupsPerSubscription, "resource groups one subscription may hold (409 QuotaExceeded past it; negative: no limit)")
	fl.BoolVar(&f.armThrottle, "arm-throttle", true, "throttle API requests as ARM does: token buckets per principal, subscription and kind (reads 250, refilled 25/s; writes and deletes 200, 10/s; a subscription 15 times that), 429 SubscriptionRequestsThrottled with Retry-After past them")
	fl.StringSliceVar(&f.cfg.ExtraLocations, "locations", nil, "locations the API accepts besides Azure's known regions (comma-separated)")
	fl.BoolVar(&f.cfg.ServiceTagsWithVnetIntegration, "service-tags-with-vnet-integration", false, "allow a service tag with API server VNet integration, as AKS does since 2026-03 (list limit 2,000)")
	fl.StringArrayVar(&f.cfg.ServiceTags, "service-tags", nil, "service-tag source: a file, an http(s) URL (a mirror), a download page or a discovery-API URL (repeatable, first source wins; replaces the default: the --service-tags-cloud download page, else the cache, else the embedded snapshot)")
	fl.StringVar(&f.feeds, "feeds", "", "other clouds' published ranges as service tags, comma-separated: github,aws,googlecloud,google,oracle,cloudflare,fastly (off by default; each at its published URLs, GitHub also from its embedded snapshot)")
	fl.StringVar(&f.cfg.ServiceTagsCloud, "service-tags-cloud", "Public", "cloud of the default service-tag source and embedded snapshot: Public, AzureGovernment or China")
	fl.DurationVar(&f.cfg.ServiceTagsRefresh, "service-tags-refresh", server.DefaultServiceTagsRefresh, "service-tag refresh interval")
}

// addFrontDoorFlags registers the flags of the front door: its listener, PROXY protocol, routes to real apiservers, caps and metrics.
func (f *serveFlags) addFrontDoorFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.GatewayAddr, "gateway-addr", server.DefaultGatewayAddr, "front door listen address")
	fl.StringVar(&f.cfg.GatewayAdvertise, "gateway-advertise", "", "front door host:port written into kubeconfigs (default: the listen address)")
	fl.BoolVar(&f.cfg.MetricsPerCluster, "metrics-per-cluster", false, "export the front door's connection, byte and allowlist series per cluster (default: summed over the clusters, route=\"*\")")
	fl.IntVar(&f.cfg.MetricsTopRefused, "metrics-top-refused", server.DefaultMetricsTopRefused, "export the refusals of this many clusters that refused the most (a bounded series set; negative: none)")
	fl.StringSliceVar(&f.trusted, "trusted-proxies", nil, "CIDRs whose PROXY protocol headers are believed (none by default)")
	fl.StringSliceVar(&f.systemRanges, "system-ranges", nil, "CIDRs every cluster admits besides its own list")
	fl.StringArrayVar(&f.upstreams, "upstream", nil, "CLUSTER=HOST:PORT[,ca=FILE]: serve a cluster (resource id or name) from a real kube-apiserver (repeatable)")
	fl.DurationVar(&f.cfg.ClientHelloTimeout, "client-hello-timeout", gateway.DefaultClientHelloTimeout, "front door: time from accept to a complete PROXY header and ClientHello")
	fl.IntVar(&f.cfg.MaxConns, "max-conns", 0, "front door: live connections at most; more are closed at accept (0: derived from the fd limit)")
	fl.IntVar(&f.cfg.MaxUndecided, "max-undecided", 0, "front door: connections not yet decided at most; the oldest is dropped for a new one (0: derived from the fd limit)")
	fl.IntVar(&f.cfg.MaxUndecidedPerSource, "max-undecided-per-source", 0, "front door: undecided connections of one source address at most (0: derived)")
	fl.StringVar(&f.prefilter, "prefilter", "", `kernel prefilter for direct clients: "drop" or "reject" SYNs from outside every cluster's list (needs CAP_NET_ADMIN; not with --trusted-proxies)`)
}

// addStoreFlags registers the flags of where state lives (bolt or etcd) and the real kube-apiservers.
func (f *serveFlags) addStoreFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&f.cfg.AllowEmptyStore, "allow-empty-store", false, "start even though the store file is missing or empty while the data dir holds an identity from an earlier start (every cluster is gone)")
	fl.StringVar(&f.cfg.Store, "store", server.StoreBolt, "where the state lives: bolt (the data dir's file) or etcd (several replicas share it; see docs/deployment.md)")
	fl.StringSliceVar(&f.cfg.Etcd.Endpoints, "etcd-endpoints", nil, "etcd members, host:port or URL, comma-separated (with --store etcd)")
	fl.StringVar(&f.cfg.Etcd.CAFile, "etcd-ca", "", "CA file that verifies the etcd members (TLS)")
	fl.StringVar(&f.cfg.Etcd.CertFile, "etcd-cert", "", "client certificate for etcd")
	fl.StringVar(&f.cfg.Etcd.KeyFile, "etcd-key", "", "key of --etcd-cert")
	fl.StringVar(&f.cfg.Etcd.Prefix, "etcd-prefix", server.DefaultEtcdPrefix, "every key tagwall writes to etcd starts with this")
	fl.DurationVar(&f.cfg.ClaimTTL, "claim-ttl", server.DefaultClaimTTL, "lease of a replica's claim on once-only work; a dead replica's work moves within about this long")
	fl.StringVar(&f.cfg.KubeAPIServer, "kube-apiserver", "", "serve each cluster from a real kube-apiserver (this binary; see scripts/kube-apiserver) instead of a stand-in")
	fl.StringSliceVar(&f.cfg.KubeEtcdEndpoints, "kube-etcd-endpoints", nil, "etcd for the clusters' Kubernetes data (default: a local etcd in DATA/kube-etcd)")
	fl.StringVar(&f.cfg.KubeEtcdPrefix, "kube-etcd-prefix", "/tagwall/kube/", "key prefix of the clusters' Kubernetes data; each cluster has its own below it")
	fl.IntVar(&f.cfg.MaxKubeAPIServers, "max-kube-apiservers", kubefleet.DefaultMax, "kube-apiservers running at once (each takes about 250-300 MiB)")
	fl.IntVar(&f.cfg.MaxKubeAPIServersPerSubscription, "max-kube-apiservers-per-subscription", 0, "kube-apiservers one subscription may run, so one tenant cannot take them all (0: no cap but --max-kube-apiservers)")
}

// stopDeadline bounds the stop after a signal or a fatal error: past it the
// process exits whatever is still running (a stalled log sink, a hung
// connection). server.Config.ShutdownTimeout is the graceful part of it.
const stopDeadline = 5 * time.Second

// hardExit ends the process when a stop overruns stopDeadline; tests
// replace it.
var hardExit = func() { os.Exit(1) }

// runServe starts the server and runs it until ctx ends (a signal: exit
// status 0) or a part of it stops (exit status 1, with the error naming
// the part). Either way it stops the server within stopDeadline.
func runServe(ctx context.Context, cfg server.Config, pf gwconfig.Prefilter) error {
	m, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	if pf.Enabled {
		gw, addr := m.FrontDoor()
		defer startPrefilter(ctx, gw, pf, addr, cfg.Logger)()
	}
	runErr := m.Run(ctx)
	watchdog := time.AfterFunc(stopDeadline, hardExit)
	defer watchdog.Stop()
	if runErr != nil {
		cfg.Logger.Error("stopping after a fatal error", "err", runErr)
	} else {
		cfg.Logger.Info("shutting down")
	}
	if err := m.Close(); err != nil && runErr == nil {
		cfg.Logger.Warn("shut down with errors", "err", err)
	}
	return runErr
}

// config turns the flags into a server.Config.
func (f *serveFlags) config() (server.Config, error) {
	cfg := f.cfg
	var err error
	if cfg.DataDir == "" {
		if cfg.DataDir, err = server.DefaultDataDir(); err != nil {
			return cfg, err
		}
	}
	if cfg.TrustedProxies, err = parsePrefixes("--trusted-proxies", f.trusted); err != nil {
		return cfg, err
	}
	if cfg.SystemRanges, err = parsePrefixes("--system-ranges", f.systemRanges); err != nil {
		return cfg, err
	}
	if f.armThrottle {
		cfg.ARMThrottle = &armthrottle.Config{}
	}
	if cfg.Feeds, err = servicetag.ParseFeedList(f.feeds); err != nil {
		return cfg, fmt.Errorf("--feeds: %w", err)
	}
	for _, s := range f.upstreams {
		u, err := server.ParseUpstream(s)
		if err != nil {
			return cfg, err
		}
		cfg.Upstreams = append(cfg.Upstreams, u)
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		return cfg, err
	}
	switch {
	case cfg.Store != server.StoreBolt && cfg.Store != server.StoreEtcd:
		return cfg, fmt.Errorf("parse --store %q: want bolt or etcd", cfg.Store)
	case cfg.Store == server.StoreEtcd && len(cfg.Etcd.Endpoints) == 0:
		return cfg, fmt.Errorf("--store etcd needs --etcd-endpoints")
	case cfg.Store != server.StoreEtcd && len(cfg.Etcd.Endpoints) > 0:
		return cfg, fmt.Errorf("--etcd-endpoints needs --store etcd")
	case (cfg.Etcd.CertFile == "") != (cfg.Etcd.KeyFile == ""):
		return cfg, fmt.Errorf("--etcd-cert and --etcd-key go together")
	}
	switch {
	case f.noClientConfig:
	case f.clientConfig != "":
		cfg.ClientConfigPath = f.clientConfig
	default:
		if cfg.ClientConfigPath, err = clientconfig.DefaultPath(); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// parsePrefixes parses CIDRs (a bare address is its /32 or /128).
func parsePrefixes(flag string, in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("parse %s %q: %w", flag, s, err)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("parse %s %q: host bits set (did you mean %s?)", flag, s, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("parse --log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// prefilterConfig checks --prefilter: the kernel sees only direct clients,
// so it cannot be combined with PROXY protocol peers.
func (f *serveFlags) prefilterConfig(cfg server.Config) (gwconfig.Prefilter, error) {
	switch f.prefilter {
	case "":
		return gwconfig.Prefilter{}, nil
	case "drop", "reject":
	default:
		return gwconfig.Prefilter{}, fmt.Errorf("--prefilter %q: want drop or reject", f.prefilter)
	}
	if len(cfg.TrustedProxies) > 0 {
		return gwconfig.Prefilter{}, fmt.Errorf("--prefilter %s: not with --trusted-proxies (the kernel sees the proxy's address, not the client's)", f.prefilter)
	}
	return gwconfig.Prefilter{Enabled: true, Action: f.prefilter}, nil
}
