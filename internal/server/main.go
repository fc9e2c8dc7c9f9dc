package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/standin"
	"github.com/tagwall/tagwall/internal/store"
)

// Main is one `tagwall serve` process.
type Main struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	token, subscription, tenant string
	caFile                      string

	store store.Store
	dist  distState // the store's mode: claims, probe, shared service tags
	cats  *catalogs
	creds *clusterCreds
	authn *authn.Service

	adminID, adminSecret string // the admin service principal
	fleet                *standin.Fleet
	gw                   *gateway.Gateway
	ctrl                 *controller.Controller

	apiLn, gwLn, metricsLn net.Listener
	apiSrv, metricsSrv     *http.Server
	gwDone                 chan struct{}

	reg        *prometheus.Registry
	routeCount atomic.Int64
	closeOnce  sync.Once
	closeErr   error
}

// NewMain returns a Main for cfg; nothing starts before Run.
func NewMain(cfg Config) *Main { return &Main{cfg: cfg} }

// Run starts every part and returns once all listeners are bound and the
// client config is written. ctx bounds the start only; Close stops it all.
// On error, whatever had started is stopped.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.cfg.setDefaults(); err != nil {
		return err
	}
	m.log = m.cfg.Logger
	m.ctx, m.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	if err := os.MkdirAll(m.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	if err := m.loadIdentity(); err != nil {
		return err
	}
	cert, caFile, err := m.loadAPICert()
	if err != nil {
		return err
	}
	m.caFile = caFile
	if err := m.startAuthn(); err != nil {
		return err
	}
	m.creds = &clusterCreds{dir: m.path("clusters"), now: m.cfg.Now, cache: map[string]*clusterCred{}}
	m.shareCreds()
	m.fleet = standin.NewFleet(m.provisionStandin)
	m.reg = m.newRegistry()
	if err := m.startGateway(); err != nil {
		return err
	}
	if err := m.startControlPlane(ctx); err != nil {
		return err
	}
	if err := m.startAPI(cert); err != nil {
		return err
	}
	if err := m.startMetrics(); err != nil {
		return err
	}
	if err := m.writeClientConfig(); err != nil {
		return err
	}
	m.log.Info("tagwall serve started", "api", m.APIURL(), "gateway", m.GatewayAddr(), "metrics", m.MetricsAddr(),
		"data_dir", m.cfg.DataDir, "subscription", m.subscription)
	return nil
}

func (m *Main) loadIdentity() error {
	if err := m.loadToken(); err != nil {
		return err
	}
	if err := m.loadSubscription(); err != nil {
		return err
	}
	tenant, _, err := readOrCreate(m.path("tenant"), newGUID)
	m.tenant = tenant
	return err
}

func (m *Main) startGateway() error {
	gw, err := gateway.New(gateway.Config{
		TrustedProxies: m.cfg.TrustedProxies,
		Logger:         m.log.With("component", "gateway"),
		Audit:          m.cfg.Audit,
		Registerer:     m.reg,
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
	cats, err := m.newCatalogsFor()
	if err != nil {
		return err
	}
	m.cats = cats
	if !m.cfg.DisableController {
		ctrl, err := controller.New(controller.Config{
			Store: m.store, Catalog: m.cats.Current, SystemRanges: m.cfg.SystemRanges,
			Apply: m.apply, Logger: m.log.With("component", "controller"), Now: m.cfg.Now,
			Claims: m.dist.claims,
		})
		if err != nil {
			return fmt.Errorf("configure controller: %w", err)
		}
		m.ctrl = ctrl
	}
	m.startCatalogsFor(ctx)
	ln, err := gateway.Listen(context.Background(), "tcp", m.cfg.GatewayAddr) // no keepalive setsockopts per accepted connection
	if err != nil {
		return fmt.Errorf("listen front door: %w", err)
	}
	m.gwLn, m.gwDone = ln, make(chan struct{})
	go func() {
		defer close(m.gwDone)
		if err := m.gw.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			m.log.Error("front door stopped", "err", err)
		}
	}()
	if m.ctrl != nil {
		m.wg.Go(func() {
			if err := m.ctrl.Run(m.ctx); err != nil && !errors.Is(err, context.Canceled) {
				m.log.Error("controller stopped", "err", err)
			}
		})
	}
	return nil
}

// catalogChanged runs after a new service-tag document is put in force.
func (m *Main) catalogChanged() {
	for _, k := range m.cats.keepers {
		st := k.Status()
		m.gw.SetServiceTagStatus(st.Source, st.ChangeNumber, st.LastSuccess)
	}
	if m.ctrl != nil {
		m.ctrl.CatalogChanged()
	}
}

func (m *Main) startAPI(cert tls.Certificate) error {
	h, err := api.New(api.Config{
		Store: m.store, Catalog: m.cats.Current, Auth: m.authenticator(),
		FeatureDelay: m.cfg.FeatureDelay, DNSSuffix: m.cfg.DNSSuffix, Kubeconfig: m.Kubeconfig,
		Logger: m.log.With("component", "api"), Now: m.cfg.Now,
		SubscriptionSource: m.authn.APISubscriptions,
	})
	if err != nil {
		return fmt.Errorf("configure api: %w", err)
	}
	ln, err := net.Listen("tcp", m.cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("listen api: %w", err)
	}
	m.apiLn = ln
	m.apiSrv = &http.Server{
		Handler:           m.withIdentity(h),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	m.wg.Go(func() {
		if err := m.apiSrv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("api stopped", "err", err)
		}
	})
	return nil
}

func (m *Main) startMetrics() error {
	if m.cfg.MetricsAddr == "-" {
		return nil
	}
	ln, err := net.Listen("tcp", m.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen metrics: %w", err)
	}
	m.metricsLn = ln
	m.metricsSrv = &http.Server{Handler: m.metricsHandler(m.reg), ReadHeaderTimeout: 10 * time.Second}
	m.wg.Go(func() {
		if err := m.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("metrics stopped", "err", err)
		}
	})
	return nil
}

func (m *Main) writeClientConfig() error {
	if m.cfg.ClientConfigPath == "" {
		return nil
	}
	err := clientconfig.Save(m.cfg.ClientConfigPath, clientconfig.Config{
		Endpoint: m.APIURL(), CAFile: m.caFile, Token: m.token, Subscription: m.subscription,
		Tenant: m.tenant, GatewayAddr: m.gatewayAdvertise(), ClientID: m.adminID, ClientSecret: m.adminSecret,
	})
	if err != nil {
		return err
	}
	m.log.Info("wrote the client config", "file", m.cfg.ClientConfigPath)
	return nil
}

// Close stops the API, the controller, the front door (letting live
// connections finish for up to 5 s), the stand-ins and the store.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if m.apiSrv != nil {
		errs = append(errs, m.apiSrv.Shutdown(ctx))
	} else if m.apiLn != nil {
		m.apiLn.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.gw != nil && m.gwLn != nil {
		errs = append(errs, m.gw.Shutdown(ctx))
		<-m.gwDone
	}
	if m.metricsSrv != nil {
		errs = append(errs, m.metricsSrv.Shutdown(ctx))
	}
	m.wg.Wait()
	if m.fleet != nil {
		errs = append(errs, m.fleet.Close())
	}
	errs = append(errs, m.closeStore(ctx)...)
	return errors.Join(errs...)
}

// APIURL is the API endpoint, e.g. https://127.0.0.1:8443/.
func (m *Main) APIURL() string { return "https://" + reachable(m.apiLn.Addr().String()) + "/" }

// GatewayAddr is the front door's bound address.
func (m *Main) GatewayAddr() string { return m.gwLn.Addr().String() }

// MetricsAddr is the metrics listener's address ("" when disabled).
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Token is the admin bearer token.
func (m *Main) Token() string { return m.token }

// CAFile is the PEM file that verifies the API endpoint.
func (m *Main) CAFile() string { return m.caFile }

// Subscription is the default subscription id.
func (m *Main) Subscription() string { return m.subscription }

// Catalog returns the service-tag catalog in force (nil when none).
func (m *Main) Catalog() *servicetag.Catalog { return m.cats.Current() }

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
