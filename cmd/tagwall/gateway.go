package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/console"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/tagmetrics"
)

// gatewayFlags are the raw flag values of `tagwall gateway`.
type gatewayFlags struct {
	config          string
	check           bool
	logLevel        string
	shutdownTimeout time.Duration
	pprof           string

	// Overrides of the file's keys, applied when the flag is given.
	clientHelloTimeout    time.Duration
	maxConns              int
	maxUndecided          int
	maxUndecidedPerSource int
}

func newGatewayCmd() *cobra.Command {
	var f gatewayFlags
	cmd := &cobra.Command{
		Use:   "gateway --config FILE",
		Short: "Run the standalone front door (SNI routing, authorized IP ranges with service tags) from a YAML file",
		Long: `Run the TLS/SNI front door on its own, in front of any kube-apiserver or TLS
service, configured by a YAML file (see docs/gateway.md). Each connection's
ClientHello is read, routed by server name and admitted only when the client
address (taken from a PROXY protocol header when the peer is trusted) is in the
route's authorizedIPRanges: addresses, CIDRs and service tags.

The file is reloaded on SIGHUP and whenever it changes; an invalid file is
refused and the running configuration stays in force. Audit lines (one per
denied connection) and logs are JSON on stderr.

Service tags come from the file's serviceTags sources (paths, URLs, download
pages, discovery APIs; first source wins), or, when none is listed and a route
names a tag, from the Azure Public download page backed by the snapshot
embedded in the binary. A new document that would drop or halve a tag in use,
or go back, is held: the file's acceptChangeNumber installs it and
serviceTagPins keeps a tag at a version (both applied at reload). The metrics
listener's GET /servicetags shows the catalog's status.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGateway(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.check, "check", false, "validate the file and load its service-tag sources, then exit")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long live connections may finish after SIGINT/SIGTERM")
	fl.StringVar(&f.pprof, "pprof", "", "serve Go's /debug/pprof/ profiles on this host:port (no authentication: bind it to loopback)")
	fl.DurationVar(&f.clientHelloTimeout, "client-hello-timeout", 0, "time from accept to a complete PROXY header and ClientHello (overrides clientHelloTimeout; default 10s)")
	fl.IntVar(&f.maxConns, "max-conns", 0, "cap on live connections, beyond it new ones are closed at accept (overrides maxConns; 0: from the fd limit)")
	fl.IntVar(&f.maxUndecided, "max-undecided", 0, "cap on undecided connections, the oldest is dropped to make room (overrides maxUndecided; 0: max-conns/2)")
	fl.IntVar(&f.maxUndecidedPerSource, "max-undecided-per-source", 0, "cap on undecided connections per source address (overrides maxUndecidedPerSource; 0: max-undecided/16)")
	cmd.PersistentFlags().StringVar(&f.config, "config", "", "gateway YAML file (required)")
	cmd.AddCommand(newGatewayCheckCmd(&f.config))
	return cmd
}

// applyOverrides sets the file's keys from the flags given on the command
// line and validates them.
func applyOverrides(cmd *cobra.Command, f gatewayFlags, cfg *gwconfig.Config) error {
	fl := cmd.Flags()
	if fl.Changed("client-hello-timeout") {
		if f.clientHelloTimeout < 0 {
			return fmt.Errorf("gateway: --client-hello-timeout %s: must not be negative", f.clientHelloTimeout)
		}
		cfg.ClientHelloTimeout = f.clientHelloTimeout
	}
	for _, o := range []struct {
		name string
		v    int
		dst  *int
	}{
		{"max-conns", f.maxConns, &cfg.MaxConns},
		{"max-undecided", f.maxUndecided, &cfg.MaxUndecided},
		{"max-undecided-per-source", f.maxUndecidedPerSource, &cfg.MaxUndecidedPerSource},
	} {
		if !fl.Changed(o.name) {
			continue
		}
		if o.v < 0 {
			return fmt.Errorf("gateway: --%s %d: must not be negative", o.name, o.v)
		}
		*o.dst = o.v
	}
	return nil
}

func runGateway(cmd *cobra.Command, f gatewayFlags) error {
	if f.config == "" {
		return usageError(errors.New("gateway: --config FILE is required"))
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		return usageError(err)
	}
	raw, err := os.ReadFile(f.config)
	if err != nil {
		return usageError(fmt.Errorf("gateway: %w", err))
	}
	cfg, err := gwconfig.Parse(f.config, raw)
	if err != nil {
		return usageError(err)
	}
	cfg.Dir = filepath.Dir(f.config)
	if err := applyOverrides(cmd, f, cfg); err != nil {
		return usageError(err)
	}
	stderr := &syncWriter{w: cmd.ErrOrStderr()}
	// Logs go through a queue that drops rather than blocks; audit lines
	// have the gateway's own bounded queue. Both end in stderr, one write
	// at a time.
	logq := newLogQueue(stderr)
	defer logq.drain(time.Second)
	log := slog.New(slog.NewJSONHandler(logq, &slog.HandlerOptions{Level: level}))
	if soft, hard, err := gateway.RaiseFDLimit(); err != nil {
		log.Warn("fd limit not raised", "soft", soft, "hard", hard, "error", err)
	} else {
		log.Info("fd limit", "soft", soft, "hard", hard)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gcfg := cfg.Gateway()
	gcfg.Logger, gcfg.Registerer = log, reg
	if level <= slog.LevelInfo {
		// Audit lines are INFO records: the gateway's buffered encoder
		// writes the same JSON lines as log would, batched (at most 100 ms
		// late, flushed at shutdown).
		gcfg.Audit = stderr
	}
	var rec *console.Recorder
	if cfg.UI {
		rec = console.NewRecorder(console.RecorderConfig{Reasons: []string{gateway.ReasonAuthorized, gateway.ReasonNotAuthorized}})
		gcfg.Decisions = rec
		reg.MustRegister(rec)
	}
	gw, err := gateway.New(gcfg)
	if err != nil {
		return usageError(err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runner := gwconfig.NewRunner(f.config, gw, gwconfig.RunnerOptions{Log: log, CacheDir: gatewayCacheDir(f.config, log)})
	if rec != nil {
		runner.OnRoutes(recorderRoutes(rec))
	}
	if err := runner.Start(ctx, cfg, raw); err != nil {
		return usageError(fmt.Errorf("gateway: %w", err))
	}
	defer runner.Close() // no cache write after the gateway returns
	reg.MustRegister(&tagmetrics.Collector{Status: runner.Status, Stats: runner.Stats})
	if f.check {
		fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d routes, %d service-tag sources)\n", f.config, len(cfg.Routes), len(runner.Status().Sources))
		return nil
	}
	ui, err := newGatewayConsole(cfg, f.config, runner, rec, log)
	if err != nil {
		return usageError(fmt.Errorf("gateway: %w", err))
	}
	return serveGateway(ctx, gw, runner, cfg, reg, log, f, ui)
}

// gatewayCacheDir is the service-tag cache dir of a config file with no
// serviceTagCache key: <user cache dir>/tagwall/gateway-<hash of the
// file's absolute path>, so two gateways never share held documents or
// pins. "" (nothing kept on disk) when there is no user cache dir.
func gatewayCacheDir(config string, log *slog.Logger) string {
	base, err := os.UserCacheDir()
	if err != nil {
		log.Warn("no user cache dir: service-tag documents, holds and pins are not kept across restarts (set serviceTagCache)", "error", err)
		return ""
	}
	abs, err := filepath.Abs(config)
	if err != nil {
		abs = config
	}
	return filepath.Join(base, "tagwall", "gateway-"+servicetag.CacheName(abs, ""))
}

// syncWriter serialises writes from the logger and the audit buffer, so
// lines never interleave whatever w is.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// servePprof serves net/http/pprof on addr until ctx ends.
func servePprof(ctx context.Context, addr string, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("gateway: pprof listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("pprof listening", "addr", ln.Addr().String())
	return srv, nil
}

// serveGateway listens, serves until ctx ends, then shuts down gracefully.
func serveGateway(ctx context.Context, gw *gateway.Gateway, runner *gwconfig.Runner, cfg *gwconfig.Config,
	reg *prometheus.Registry, log *slog.Logger, f gatewayFlags, ui http.Handler) error {
	shutdownTimeout := f.shutdownTimeout
	// No keepalive setsockopts at accept: most connections a front door
	// sees under attack are denied at once; admitted ones get keepalive.
	ln, err := gateway.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen %s: %w", cfg.Listen, err)
	}
	defer startPrefilter(ctx, gw, cfg.Prefilter, ln.Addr(), log)()
	if f.pprof != "" {
		psrv, err := servePprof(ctx, f.pprof, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer psrv.Close()
	}
	var metricsSrv *http.Server
	if cfg.Metrics != "" {
		mln, err := net.Listen("tcp", cfg.Metrics)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: metrics listen %s: %w", cfg.Metrics, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		mux.HandleFunc("GET /servicetags", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(runner.Status())
		})
		if ui != nil {
			mux.Handle("/ui/", ui)
			log.Info("web console", "url", "http://"+mln.Addr().String()+"/ui/")
		}
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go metricsSrv.Serve(mln)
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		if err := runner.Watch(ctx, hup); err != nil {
			log.Error("config watch stopped: reload with SIGHUP only", "error", err)
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					if err := runner.Reload(ctx, true); err != nil {
						log.Error("gateway config rejected: the running configuration stays in force", "error", err)
					}
				}
			}
		}
	}()
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	log.Info("gateway listening", "addr", ln.Addr().String(), "routes", len(cfg.Routes))
	select {
	case <-ctx.Done():
	case err := <-served:
		gw.FlushAudit()
		return fmt.Errorf("gateway: serve %s: %w", cfg.Listen, err)
	}
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if metricsSrv != nil {
		metricsSrv.Shutdown(sctx)
	}
	if err := gw.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown: live connections closed at the deadline", "error", err)
	} else if err != nil {
		log.Error("shutdown", "error", err)
	}
	return nil
}
