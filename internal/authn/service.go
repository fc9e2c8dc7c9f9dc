package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/store"
)

// DefaultTokenLifetime is how long an issued access token is valid.
const DefaultTokenLifetime = time.Hour

// Config configures a Service. Store, KeyFile and Tenant are required.
type Config struct {
	Store         store.Store
	KeyFile       string // PEM EC (P-256) signing key; created when missing
	Tenant        string // the tenant id put in tokens and subscriptions
	TokenLifetime time.Duration
	// FailureLimit locks a client id out of the token endpoint after
	// repeated failed secrets (zero value: 5 in a minute lock it out for a
	// minute; see FailureLimit).
	FailureLimit FailureLimit
	Logger       *slog.Logger
	Now          func() time.Time
}

// Service issues and verifies tokens and keeps service principals and
// subscriptions. It is safe for concurrent use.
type Service struct {
	cfg     Config
	key     *signingKey
	log     *slog.Logger
	limiter *failureLimiter // failed secrets per client id
}

// New loads (or creates) the signing key and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.KeyFile == "" || cfg.Tenant == "" {
		return nil, errors.New("configure authn: Store, KeyFile and Tenant are required")
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	key, err := loadOrCreateKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, key: key, log: cfg.Logger, limiter: newFailureLimiter(cfg.FailureLimit)}, nil
}

// Tenant is the service's tenant id.
func (s *Service) Tenant() string { return s.cfg.Tenant }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// EnsureSubscription creates the subscription id unless it exists.
func (s *Service) EnsureSubscription(ctx context.Context, id, displayName string) error {
	_, err := s.CreateSubscription(ctx, id, displayName)
	if errors.Is(err, ErrSubscriptionExists) {
		return nil
	}
	return err
}

// CreateSubscription stores a new subscription ("" id: a new GUID;
// "" name: "tagwall-<first 8 of id>"). ErrSubscriptionExists if taken.
func (s *Service) CreateSubscription(ctx context.Context, id, displayName string) (Subscription, error) {
	if id == "" {
		id = uuid.NewString()
	}
	if !arm.IsSubscriptionID(id) {
		return Subscription{}, fmt.Errorf("create subscription %q: %w", id, errBadSubscriptionID)
	}
	if displayName == "" {
		displayName = "tagwall-" + strings.ToLower(id[:8])
	}
	sub := Subscription{ID: strings.ToLower(id), DisplayName: displayName, TenantID: s.cfg.Tenant, Created: s.now()}
	b, err := encode(sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("create subscription %q: %w", id, err)
	}
	if _, err := s.cfg.Store.Create(ctx, subscriptionKey(id), b); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = ErrSubscriptionExists
		}
		return Subscription{}, fmt.Errorf("create subscription %q: %w", id, err)
	}
	return sub, nil
}

var errBadSubscriptionID = errors.New("not a subscription GUID")

// Subscriptions lists every subscription, oldest first.
func (s *Service) Subscriptions(ctx context.Context) ([]Subscription, error) {
	subs, err := listRecords[Subscription](ctx, s.cfg.Store, subscriptionsPrefix)
	if err != nil {
		return nil, err
	}
	sortSubscriptions(subs)
	return subs, nil
}

// PrincipalSpec is what a new service principal may do.
type PrincipalSpec struct {
	DisplayName      string
	AllSubscriptions bool
	Subscriptions    []string // each must exist
}

// CreatePrincipal stores a new service principal and returns it with its
// secret, which is not kept and cannot be shown again.
func (s *Service) CreatePrincipal(ctx context.Context, spec PrincipalSpec) (ServicePrincipal, string, error) {
	subs := make([]string, 0, len(spec.Subscriptions))
	for _, id := range spec.Subscriptions {
		sub, err := getSubscription(ctx, s.cfg.Store, id)
		if err != nil {
			return ServicePrincipal{}, "", fmt.Errorf("create service principal %q: %w", spec.DisplayName, err)
		}
		subs = append(subs, sub.ID)
	}
	if !spec.AllSubscriptions && len(subs) == 0 {
		return ServicePrincipal{}, "", fmt.Errorf("create service principal %q: %w", spec.DisplayName, errNoScope)
	}
	secret, err := newSecret()
	if err != nil {
		return ServicePrincipal{}, "", err
	}
	salt, sum, err := hashSecret(secret)
	if err != nil {
		return ServicePrincipal{}, "", err
	}
	id := uuid.NewString()
	if spec.DisplayName == "" {
		spec.DisplayName = "tagwall-sp-" + id[:8]
	}
	sp := ServicePrincipal{ClientID: id, DisplayName: spec.DisplayName, AllSubscriptions: spec.AllSubscriptions,
		Subscriptions: subs, SecretSalt: salt, SecretHash: sum, Created: s.now()}
	if err := putPrincipal(ctx, s.cfg.Store, sp); err != nil {
		return ServicePrincipal{}, "", err
	}
	return sp, secret, nil
}

var errNoScope = errors.New("give at least one subscription, or all subscriptions")

// EnsureAdmin makes clientID an administrator of every subscription whose
// secret is secret (see DeriveAdmin); it rewrites the record when the
// secret changed.
func (s *Service) EnsureAdmin(ctx context.Context, clientID, secret string) error {
	sp, err := getPrincipal(ctx, s.cfg.Store, clientID)
	if err == nil && sp.AllSubscriptions && secretMatches(sp.SecretSalt, sp.SecretHash, secret) {
		return nil
	}
	if err != nil && !errors.Is(err, ErrPrincipalNotFound) {
		return err
	}
	salt, sum, err := hashSecret(secret)
	if err != nil {
		return err
	}
	return putPrincipal(ctx, s.cfg.Store, ServicePrincipal{ClientID: strings.ToLower(clientID), DisplayName: adminDisplayName,
		AllSubscriptions: true, SecretSalt: salt, SecretHash: sum, Created: s.now()})
}

// Principals lists every service principal (the hashes included).
func (s *Service) Principals(ctx context.Context) ([]ServicePrincipal, error) {
	return listRecords[ServicePrincipal](ctx, s.cfg.Store, principalsPrefix)
}

// DeletePrincipal removes a service principal; its tokens stop working at
// once. ErrPrincipalNotFound if absent.
func (s *Service) DeletePrincipal(ctx context.Context, clientID string) error {
	_, err := s.cfg.Store.Delete(ctx, principalKey(clientID), 0)
	if errors.Is(err, store.ErrNotFound) {
		err = ErrPrincipalNotFound
	}
	if err != nil {
		return fmt.Errorf("delete service principal %q: %w", clientID, err)
	}
	return nil
}

// adminDisplayName names the administrator service principal (EnsureAdmin).
const adminDisplayName = "tagwall-admin"

// checkSecret returns the principal when secret is its secret.
func (s *Service) checkSecret(ctx context.Context, clientID, secret string) (ServicePrincipal, error) {
	sp, err := getPrincipal(ctx, s.cfg.Store, clientID)
	if err != nil {
		return sp, err
	}
	if !secretMatches(sp.SecretSalt, sp.SecretHash, secret) && !legacyAdminSecret(sp, secret) {
		return sp, fmt.Errorf("check secret of %q: %w", clientID, errBadSecret)
	}
	return sp, nil
}

// legacyAdminSecret accepts the administrator's derived secret in the form
// DeriveAdmin gave before it stopped starting secrets with '-' (one data
// dir in 64): a copy of it taken then ("az login --password=-…", a CI
// secret) keeps working. Only that principal, only that one rewrite.
func legacyAdminSecret(sp ServicePrincipal, secret string) bool {
	return sp.AllSubscriptions && sp.DisplayName == adminDisplayName && strings.HasPrefix(secret, "-") &&
		secretMatches(sp.SecretSalt, sp.SecretHash, "0"+secret[1:])
}

var errBadSecret = errors.New("wrong client secret")
