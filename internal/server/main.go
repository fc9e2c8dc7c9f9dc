package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/clustercreds"
	"github.com/tagwall/tagwall/internal/console"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/kubefleet"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/standin"
	"github.com/tagwall/tagwall/internal/store"
)

// storeFile is the bbolt store in the data dir.
const storeFile = "tagwall.db"

// Main is one `tagwall serve` process: New starts it, Run waits for its
// end (the context, or the first part that stops), Close stops it.
type Main struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	id    *identity.Identity
	store store.Store
	dist  distState       // the store's mode: claims, probe, shared service tags
	tags  *servicetag.Set // the one service-tag catalog
	// tagsLast and tagsPrev are the catalogs OnChange saw last and before
	// (the console's diff).
	tagsLast, tagsPrev atomic.Pointer[servicetag.Catalog]
	creds              *clustercreds.Store
	authn              *authn.Service

	adminID, adminSecret string // the admin service principal
	fleet                *standin.Fleet
	kube                 *kubefleet.Fleet // with --kube-apiserver
	kubeEtcd             *kubefleet.Etcd  // the local etcd of kube, when no endpoints are given
	gw                   *gateway.Gateway
	ctrl                 *controller.Controller
	throttle             *armthrottle.Throttle // nil: Config.ARMThrottle unset

	parts parts // lifecycle: which part stopped, the first fatal error

	apiLn, gwLn, metricsLn net.Listener
	apiSrv, metricsSrv     *http.Server
	gwDone                 chan struct{}

	rec      *console.Recorder // the console's decision history (nil: console off)
	recStale atomic.Bool       // routes were removed since rec's last SetRoutes

	restoredAt time.Time // when New had the stored routes in force (zero: not restored)

	reg            *prometheus.Registry
	routeCount     atomic.Int64
	standinErrMu   sync.Mutex
	lastStandinErr string // the last stand-in error logged
	lastKubeErr    string // the last kube fleet error logged (controller goroutine only)
	closeOnce      sync.Once
	closeErr       error
}

// New starts every part of the server and returns once all listeners are
// bound, the service tags of local sources are loaded and the client
// config is written. ctx bounds the start only (the store and the
// distributed-mode identity); the parts run until Close. On error,
// whatever had started is stopped and the error names the step.
func New(ctx context.Context, cfg Config) (*Main, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	m := &Main{cfg: cfg, log: cfg.Logger}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.parts.init()
	if err := os.MkdirAll(m.cfg.DataDir, 0o700); err != nil {
		m.cancel()
		return nil, fmt.Errorf("create data dir %s: %w", m.cfg.DataDir, err)
	}
	if err := m.start(ctx); err != nil {
		_ = m.Close()
		return nil, err
	}
	m.log.Info("tagwall serve started", "api", m.APIURL(), "gateway", m.GatewayAddr(), "metrics", m.MetricsAddr(),
		"data_dir", m.cfg.DataDir, "subscription", m.id.Subscription)
	return m, nil
}

// start runs the start steps in order.
func (m *Main) start(ctx context.Context) error {
	if err := m.openStore(ctx); err != nil {
		return err
	}
	id, err := identity.Load(m.identityConfig())
	if err != nil {
		return fmt.Errorf("load the server identity from %s: %w", m.cfg.DataDir, err)
	}
	m.id = id
	if err := m.startAuthn(); err != nil {
		return err
	}
	m.creds = m.newCreds()
	m.fleet = standin.NewFleet(m.provisionStandin)
	m.fleet.OnError(m.logStandinErr)
	if err := m.startKube(); err != nil {
		return err
	}
	m.reg = m.newRegistry()
	m.newRecorder()
	if err := m.startGateway(); err != nil {
		return err
	}
	m.wg.Go(m.syncRecorder)
	if err := m.startControlPlane(ctx); err != nil {
		return err
	}
	if err := m.startAPI(); err != nil {
		return err
	}
	if err := m.startMetrics(); err != nil {
		return err
	}
	return m.writeClientConfig()
}

// identityConfig is the identity package's view of the Config.
func (m *Main) identityConfig() identity.Config {
	return identity.Config{
		DataDir: m.cfg.DataDir, TokenFile: m.cfg.TokenFile, Subscription: m.cfg.Subscription,
		TLSCertFile: m.cfg.TLSCertFile, TLSKeyFile: m.cfg.TLSKeyFile, Logger: m.log, Now: m.cfg.Now,
	}
}

func (m *Main) startGateway() error {
	gw, err := gateway.New(gateway.Config{
		TrustedProxies:        m.cfg.TrustedProxies,
		Logger:                m.log.With("component", "gateway"),
		Audit:                 m.cfg.Audit,
		Registerer:            m.reg,
		ClientHelloTimeout:    m.cfg.ClientHelloTimeout,
		MaxConns:              m.cfg.MaxConns,
		MaxUndecided:          m.cfg.MaxUndecided,
		MaxUndecidedPerSource: m.cfg.MaxUndecidedPerSource,
		RouteMetrics:          m.routeMetrics(),
		TopRefused:            m.cfg.MetricsTopRefused,
		Decisions:             m.decisions(),
	})
	if err != nil {
		return fmt.Errorf("configure front door: %w", err)
	}
	m.gw = gw
	return nil
}

// startControlPlane loads the catalogs and starts the controller and the
// front door's accept loop.
func (m *Main) startControlPlane(ctx context.Context) error {
	var current func() *servicetag.Catalog
	if !m.cfg.DisableController {
		var changes func([]controller.Route, []string)
		if m.kube == nil { // the kube fleet syncs with the whole table
			changes = m.applyChanges
		}
		ctrl, err := controller.New(controller.Config{
			Store: m.store, Catalog: func() *servicetag.Catalog { return current() }, SystemRanges: m.cfg.SystemRanges,
			Apply: m.apply, ApplyChanges: changes, Logger: m.log.With("component", "controller"), Now: m.cfg.Now,
			Claims: m.dist.claims, OperationRetention: m.cfg.OperationRetention, Deleted: m.clusterDeleted,
			MaxEndedOperations: m.cfg.MaxEndedOperations,
		})
		if err != nil {
			return fmt.Errorf("configure controller: %w", err)
		}
		m.ctrl = ctrl
	}
	if err := m.newTagSet(); err != nil {
		return err
	}
	current = m.tags.Current
	m.startTags(ctx)
	m.restoreRoutes(ctx)
	ln, err := gateway.Listen(context.Background(), "tcp", m.cfg.GatewayAddr) // no keepalive setsockopts per accepted connection
	if err != nil {
		return fmt.Errorf("listen front door %s: %w", m.cfg.GatewayAddr, err)
	}
	m.gwLn, m.gwDone = ln, make(chan struct{})
	m.parts.add(partFrontDoor)
	go func() {
		defer close(m.gwDone)
		err := m.gw.Serve(ln)
		if errors.Is(err, net.ErrClosed) {
			err = errors.New("listener closed")
		}
		m.stopped(partFrontDoor, err)
	}()
	if m.ctrl != nil {
		m.parts.add(partController)
		m.wg.Go(func() { m.stopped(partController, m.ctrl.Run(m.ctx)) })
	}
	return nil
}

// restoreRoutes applies the stored clusters' routes before the front door
// listens, so a restart never refuses a client the store admits. When the
// store cannot be listed the front door starts without them (failing
// closed) and the controller lists again as it runs; /readyz stays
// unready until it has (see checks).
func (m *Main) restoreRoutes(ctx context.Context) {
	if m.ctrl == nil {
		return
	}
	start := time.Now()
	if err := m.ctrl.Restore(ctx); err != nil {
		m.log.Warn("restore routes from the store: the front door starts without them until the controller lists the store", "err", err)
		return
	}
	m.restoredAt = time.Now()
	m.log.Info("restored routes from the store", "routes", m.routeCount.Load(), "took", m.restoredAt.Sub(start).Round(time.Millisecond))
}

// routeMetrics is the front door's per-route metrics mode.
func (m *Main) routeMetrics() gateway.RouteMetricsMode {
	if m.cfg.MetricsPerCluster {
		return gateway.RouteMetricsPerRoute
	}
	return gateway.RouteMetricsAggregate
}

func (m *Main) writeClientConfig() error {
	if m.cfg.ClientConfigPath == "" {
		return nil
	}
	err := clientconfig.Save(m.cfg.ClientConfigPath, clientconfig.Config{
		Endpoint: m.APIURL(), CAFile: m.id.CAFile, Token: m.id.Token, Subscription: m.id.Subscription,
		Tenant: m.id.Tenant, GatewayAddr: m.gatewayAdvertise(), ClientID: m.adminID, ClientSecret: m.adminSecret,
	})
	if err != nil {
		return err
	}
	m.log.Info("wrote the client config", "file", m.cfg.ClientConfigPath)
	return nil
}

// APIURL is the API endpoint, e.g. https://127.0.0.1:8443/.
func (m *Main) APIURL() string { return "https://" + reachable(m.apiLn.Addr().String()) + "/" }

// GatewayAddr is the front door's bound address.
func (m *Main) GatewayAddr() string { return m.gwLn.Addr().String() }

// FrontDoor returns the front door and its listen address, for what runs
// beside it (the kernel prefilter of `serve --prefilter`).
func (m *Main) FrontDoor() (*gateway.Gateway, net.Addr) { return m.gw, m.gwLn.Addr() }

// MetricsAddr is the metrics listener's address ("" when disabled).
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Token is the admin bearer token.
func (m *Main) Token() string { return m.id.Token }

// CAFile is the PEM file that verifies the API endpoint.
func (m *Main) CAFile() string { return m.id.CAFile }

// Subscription is the default subscription id.
func (m *Main) Subscription() string { return m.id.Subscription }

// Tenant is the server's tenant id.
func (m *Main) Tenant() string { return m.id.Tenant }

// Catalog returns the service-tag catalog in force (nil when none).
func (m *Main) Catalog() *servicetag.Catalog { return m.tags.Current() }

// ServiceTags returns the service-tag Set (status, accept, pins).
func (m *Main) ServiceTags() *servicetag.Set { return m.tags }

func (m *Main) path(rel string) string { return filepath.Join(m.cfg.DataDir, filepath.FromSlash(rel)) }

func (m *Main) gatewayAdvertise() string {
	if m.cfg.GatewayAdvertise != "" {
		return m.cfg.GatewayAdvertise
	}
	return reachable(m.GatewayAddr())
}

// reachable turns an unspecified listen host into loopback.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
