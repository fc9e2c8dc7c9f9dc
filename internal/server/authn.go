package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/identity"
)

// startAuthn opens the identity service: the token-signing key, the
// default subscription's record and the administrator service principal
// (its id and secret derived from the admin token, see authn.DeriveAdmin).
func (m *Main) startAuthn() error {
	svc, err := authn.New(authn.Config{
		Store: m.store, KeyFile: m.path(identity.TokenKeyFile), Tenant: m.id.Tenant,
		Logger: m.log.With("component", "authn"), Now: m.cfg.Now,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	if err := svc.EnsureSubscription(ctx, m.id.Subscription, "tagwall"); err != nil {
		return fmt.Errorf("record the default subscription: %w", err)
	}
	m.adminID, m.adminSecret = authn.DeriveAdmin(m.id.Token)
	if err := svc.EnsureAdmin(ctx, m.adminID, m.adminSecret); err != nil {
		return fmt.Errorf("record the admin service principal: %w", err)
	}
	m.authn = svc
	return nil
}

// apiHandler is the ARM API (without /adfs and /tagwall: withIdentity).
func (m *Main) apiHandler() (http.Handler, error) {
	if m.cfg.ARMThrottle != nil && m.throttle == nil {
		cfg := *m.cfg.ARMThrottle
		if cfg.Now == nil {
			cfg.Now = m.cfg.Now
		}
		m.throttle = armthrottle.New(cfg)
	}
	h, err := api.New(api.Config{
		Store: m.store, Catalog: m.tags.Current, ServiceTags: m.tagAdmin(), Auth: m.authenticator(),
		FeatureDelay: m.cfg.FeatureDelay, DNSSuffix: m.cfg.DNSSuffix, Kubeconfig: m.Kubeconfig,
		Logger: m.log.With("component", "api"), Now: m.cfg.Now,
		SubscriptionSource:               m.authn.APISubscriptions,
		MaxClustersPerSubscription:       m.cfg.MaxClustersPerSubscription,
		MaxResourceGroupsPerSubscription: m.cfg.MaxResourceGroupsPerSubscription,
		ExtraLocations:                   m.cfg.ExtraLocations,
		ServiceTagsWithVnetIntegration:   m.cfg.ServiceTagsWithVnetIntegration,
		Access:                           m.gw, // checkAccess, recentClients, the cut-off guard
		SystemRanges:                     m.cfg.SystemRanges,
		Throttle:                         m.throttle,
		SharedLock:                       m.dist.lock, // exact quotas across replicas
	})
	if err != nil {
		return nil, fmt.Errorf("configure api: %w", err)
	}
	return h, nil
}

// apiTLSConfig serves the identity's API certificate.
func (m *Main) apiTLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{m.id.Cert}, MinVersion: tls.VersionTLS12}
}

// authenticator accepts the admin token or a token issued by /adfs.
func (m *Main) authenticator() api.Authenticator {
	return m.authn.Authenticator(api.StaticToken{Token: m.id.Token})
}

// withIdentity serves /adfs and /tagwall in front of the ARM handler.
func (m *Main) withIdentity(h http.Handler) http.Handler { return m.authn.Wrap(h, m.authenticator()) }

// AdminPrincipal is the administrator service principal's client id and
// secret (az login --service-principal -u ID -p SECRET).
func (m *Main) AdminPrincipal() (clientID, secret string) { return m.adminID, m.adminSecret }

// Authn is the identity service (service principals, subscriptions).
func (m *Main) Authn() *authn.Service { return m.authn }

// limitListener caps the connections ln has open at once (netutil: Accept
// waits while limit connections are open).
func limitListener(ln net.Listener, limit int) net.Listener { return netutil.LimitListener(ln, limit) }

// slogLogger routes a standard library server's error log (TLS handshake
// errors and the like, which strangers cause at will) to l at debug level.
func slogLogger(l *slog.Logger) *log.Logger { return slog.NewLogLogger(l.Handler(), slog.LevelDebug) }
