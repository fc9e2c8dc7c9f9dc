package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// Config configures the handler. Store and Auth are required.
// Credential is the kubeconfig a list…Credential action returns; its value
// is the kubeconfig's name in the answer (CredentialResult.name) and the
// prefix of its user, as AKS names them.
type Credential string

const (
	UserCredential       Credential = "clusterUser"           // listClusterUserCredential
	AdminCredential      Credential = "clusterAdmin"          // listClusterAdminCredential
	MonitoringCredential Credential = "clusterMonitoringUser" // listClusterMonitoringUserCredential
)

type Config struct {
	Store   store.Store
	Catalog func() *servicetag.Catalog // the catalog in force; nil result = no service-tag data (tags refused)
	// ServiceTags administers the catalog (status, accept, pin) through
	// ServiceTagAdminPath; nil: those requests are refused (503).
	ServiceTags  ServiceTagAdmin
	Auth         Authenticator
	FeatureDelay time.Duration // Registering → Registered after this (0: 2m; negative: at once)
	DNSSuffix    string        // fqdn suffix (default "hcp.tagwall.local")
	// Kubeconfig renders a cluster's kubeconfig for the credential asked
	// for (the server wiring owns the CAs and the front-door address).
	// nil: credentials are refused.
	Kubeconfig func(ctx context.Context, c *state.ManagedCluster, cred Credential) ([]byte, error)
	Logger     *slog.Logger
	Now        func() time.Time
	// Subscriptions are listed by GET /subscriptions (az login needs one).
	Subscriptions []Subscription
	// SubscriptionSource, when set, is asked instead of Subscriptions on
	// every GET /subscriptions, /subscriptions/{sub} and /tenants.
	SubscriptionSource func(ctx context.Context) ([]Subscription, error)
	// ServiceTagPageSize is the number of tags per serviceTagDetails page
	// (ServiceTagInformation_List, which Azure pages and its SDK pager
	// follows); 0: DefaultServiceTagPageSize. The serviceTags discovery
	// API answers the whole document unless the client asks with $top.
	ServiceTagPageSize int
	// ServiceTagsWithVnetIntegration follows the newer AKS (since
	// 2026-03): a service tag is allowed on a cluster with API server VNet
	// integration, within the 2,000-entry limit. false (default) keeps the
	// seed's (2024 preview's) refusal. serve flag:
	// --service-tags-with-vnet-integration.
	ServiceTagsWithVnetIntegration bool
	// DefaultKubernetesVersion fills kubernetesVersion "" (default "1.31.5").
	// It must be on aksref's supported list: New fails otherwise.
	DefaultKubernetesVersion string
	// MaxClustersPerSubscription caps the managed clusters of one
	// subscription (0: DefaultMaxClustersPerSubscription; negative: no
	// limit). A create past it is a 409 QuotaExceeded; updates of existing
	// clusters are never refused by it. serve flag:
	// --max-clusters-per-subscription.
	MaxClustersPerSubscription int
	// MaxResourceGroupsPerSubscription caps the resource groups of one
	// subscription (0: DefaultMaxResourceGroupsPerSubscription, Azure's
	// limit; negative: no limit), enforced like MaxClustersPerSubscription.
	// serve flag: --max-resource-groups-per-subscription.
	MaxResourceGroupsPerSubscription int
	// ExtraLocations extends the built-in Azure location list (aksref) that
	// resource group and cluster locations are checked against. Names are
	// normalized like ARM does ("Mars Central" → "marscentral") and must be
	// letters and digits: New fails otherwise. serve flag: --locations.
	ExtraLocations []string
	// Access is the front door in force, for checkAccess, recentClients
	// and the cut-off guard (tagwall extensions); nil: checkAccess answers
	// 501 and the guard sees no recent clients.
	Access AccessInspector
	// SystemRanges are admitted by every cluster's list (the controller's
	// Config.SystemRanges); the cut-off guard compiles new lists with them.
	SystemRanges []netip.Prefix
	// Throttle charges every authenticated request to ARM's token buckets
	// (per principal and subscription, or tenant) after its subscription
	// is authorized: a request past them is a 429
	// SubscriptionRequestsThrottled with Retry-After, and every charged
	// answer carries ARM's x-ms-ratelimit-remaining-* headers. nil: no
	// throttling. serve flag: --arm-throttle (on by default).
	Throttle *armthrottle.Throttle
	// SharedLock, when set, serialises the quota checks of replicas that
	// share the store: it waits until the caller holds the lock name (or
	// ctx ends) and returns its release. nil: one process serialises its
	// own creates only (a store no other process writes). `serve --store
	// etcd` sets it to an etcd lock.
	SharedLock func(ctx context.Context, name string) (unlock func(), err error)
}

// Defaults of the quotas and pages in Config.
const (
	DefaultServiceTagPageSize               = 500
	DefaultMaxClustersPerSubscription       = 1000
	DefaultMaxResourceGroupsPerSubscription = 980
)

// Subscription is one entry of GET /subscriptions.
type Subscription = arm.Subscription

type server struct {
	cfg       Config
	log       *slog.Logger
	routes    []route
	locations aksref.LocationSet
	creates   createLocks
	// previews compiles the cut-off guard's previews, all under one name:
	// the tag sets a preview builds (AzureCloud's table) stay cached for the
	// next one, as the controller's compiler keeps them for the routes.
	previews   *routecompile.Compiler
	previewMu  sync.Mutex
	previewCat *servicetag.Catalog // the catalog previews last compiled against (previewMu)
}

// New returns the control-plane handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: config has no Store")
	}
	if cfg.Auth == nil {
		return nil, errors.New("api: config has no Auth")
	}
	if cfg.Catalog == nil {
		cfg.Catalog = func() *servicetag.Catalog { return nil }
	}
	if cfg.FeatureDelay == 0 {
		cfg.FeatureDelay = 2 * time.Minute
	}
	if cfg.DNSSuffix == "" {
		cfg.DNSSuffix = "hcp.tagwall.local"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultKubernetesVersion == "" {
		cfg.DefaultKubernetesVersion = "1.31.5"
	}
	if !aksref.SupportedKubernetesVersion(cfg.DefaultKubernetesVersion) {
		return nil, fmt.Errorf("api: default Kubernetes version %q is not supported (supported minors: %s)",
			cfg.DefaultKubernetesVersion, aksref.SupportedKubernetesVersionsText())
	}
	if cfg.MaxClustersPerSubscription == 0 {
		cfg.MaxClustersPerSubscription = DefaultMaxClustersPerSubscription
	}
	if cfg.MaxResourceGroupsPerSubscription == 0 {
		cfg.MaxResourceGroupsPerSubscription = DefaultMaxResourceGroupsPerSubscription
	}
	locs, err := aksref.NewLocationSet(cfg.ExtraLocations)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	previews, err := routecompile.New(routecompile.Options{System: cfg.SystemRanges})
	if err != nil {
		return nil, fmt.Errorf("api: system ranges: %w", err)
	}
	s := &server{cfg: cfg, log: cfg.Logger, locations: locs, previews: previews}
	s.register()
	return s, nil
}

func (s *server) register() {
	s.routes = append(s.routes, route{method: http.MethodGet, pattern: []string{"metadata", "endpoints"}, public: true, h: s.metadataEndpoints})
	s.add(http.MethodGet, "subscriptions", arm.SubscriptionsVersions, s.listSubscriptions)
	s.add(http.MethodGet, "subscriptions/{sub}", arm.SubscriptionsVersions, s.getSubscription)
	s.add(http.MethodGet, "tenants", arm.SubscriptionsVersions, s.listTenants)
	s.registerFeatures()
	s.registerProviders()
	s.registerGroups()
	s.registerClusters()
	s.registerSpecEndpoints()
	s.registerVersions()
	s.registerAgentPools()
	s.registerPower()
	s.registerResources()
	s.registerAccess()
	const st = "subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/serviceTags"
	s.add(http.MethodGet, st, arm.ServiceTagsVersions, s.listServiceTags)
	s.registerServiceTagAdmin()
}

// now is the handler's clock.
func (s *server) now() time.Time { return s.cfg.Now().UTC() }

// getRecord reads key into v and returns its ModRevision; (0, nil) and v
// untouched when the key is absent.
func (s *server) getRecord(ctx context.Context, key string, v any) (int64, error) {
	kv, err := s.cfg.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return kv.ModRevision, state.Decode(key, kv.Value, v)
}

// putRecord writes v: a Create when rev is 0, else an Update conditioned on
// rev. It returns the new revision.
func (s *server) putRecord(ctx context.Context, key string, rev int64, v any) (int64, error) {
	b, err := state.Encode(v)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		return s.cfg.Store.Create(ctx, key, b)
	}
	return s.cfg.Store.Update(ctx, key, b, rev)
}

// retry runs f up to 5 times while it fails with a store conflict.
func retry(f func() error) error {
	var err error
	for range 5 {
		err = f()
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrExists) {
			return err
		}
	}
	return err
}
