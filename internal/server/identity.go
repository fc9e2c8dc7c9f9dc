package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/authn"
)

// tokenKeyFile holds the key that signs the access tokens of /adfs.
const tokenKeyFile = "pki/token-signing.key"

// startAuthn opens the identity service: the token-signing key, the
// default subscription's record and the administrator service principal
// (its id and secret derived from the admin token, see authn.DeriveAdmin).
func (m *Main) startAuthn() error {
	svc, err := authn.New(authn.Config{
		Store: m.store, KeyFile: m.path(tokenKeyFile), Tenant: m.tenant,
		Logger: m.log.With("component", "authn"), Now: m.cfg.Now,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	if err := svc.EnsureSubscription(ctx, m.subscription, "tagwall"); err != nil {
		return fmt.Errorf("record the default subscription: %w", err)
	}
	m.adminID, m.adminSecret = authn.DeriveAdmin(m.token)
	if err := svc.EnsureAdmin(ctx, m.adminID, m.adminSecret); err != nil {
		return fmt.Errorf("record the admin service principal: %w", err)
	}
	m.authn = svc
	return nil
}

// authenticator accepts the admin token or a token issued by /adfs.
func (m *Main) authenticator() api.Authenticator {
	return m.authn.Authenticator(api.StaticToken{Token: m.token})
}

// withIdentity serves /adfs and /tagwall in front of the ARM handler.
func (m *Main) withIdentity(h http.Handler) http.Handler { return m.authn.Wrap(h, m.authenticator()) }

// AdminPrincipal is the administrator service principal's client id and
// secret (az login --service-principal -u ID -p SECRET).
func (m *Main) AdminPrincipal() (clientID, secret string) { return m.adminID, m.adminSecret }

// Tenant is the server's tenant id.
func (m *Main) Tenant() string { return m.tenant }

// Authn is the identity service (service principals, subscriptions).
func (m *Main) Authn() *authn.Service { return m.authn }
