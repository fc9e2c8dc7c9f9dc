package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/claims"
	"github.com/tagwall/tagwall/internal/clustercreds"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/datadir"
	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/boltstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
)

// Store backends of Config.Store.
const (
	StoreBolt = "bolt"
	StoreEtcd = "etcd"
)

// Defaults of the distributed mode.
const (
	DefaultEtcdPrefix = "/tagwall/"
	DefaultClaimTTL   = 10 * time.Second
	// maxEtcdMessage bounds one etcd request or response: a stored
	// service-tag document is gzipped (~0.5 MB for Azure Public) but a
	// merged or future one may be larger.
	maxEtcdMessage = 16 << 20
)

// EtcdConfig says how to reach the etcd cluster of the distributed mode.
type EtcdConfig struct {
	Endpoints []string // host:port or URLs of the members
	CAFile    string   // verifies the members (TLS when any of the three is set)
	CertFile  string   // client certificate
	KeyFile   string
	Prefix    string // every key lives under it; default DefaultEtcdPrefix
}

// distState is Main's distributed-mode state.
type distState struct {
	etcd    *clientv3.Client  // distributed mode only
	claims  controller.Claims // once-only work among replicas (LocalClaims on bbolt)
	storeUp atomic.Bool       // the last store probe succeeded
	// lock serialises the API's quota checks across replicas (nil on
	// bbolt: one process).
	lock func(ctx context.Context, name string) (func(), error)
}

// openStore opens the configured store: the data dir's bbolt file, or
// etcd (then also the claims that make once-only work happen once, and
// the identity every replica shares), and starts the store probe.
func (m *Main) openStore(ctx context.Context) error {
	if err := m.openBackend(); err != nil {
		return err
	}
	m.wg.Go(func() { m.probeStore(m.ctx, time.Second) })
	if !m.distributed() {
		return nil
	}
	icfg := m.identityConfig()
	err := identity.Share(ctx, m.store, sharedIdentityKey, m.cfg.DataDir, icfg.SharedFiles(), func() error {
		id, err := identity.Load(icfg)
		if err != nil {
			return err
		}
		// The /adfs token-signing key: a token one replica issues must
		// verify on every other.
		_, err = authn.New(authn.Config{Store: m.store, KeyFile: m.path(identity.TokenKeyFile), Tenant: id.Tenant})
		return err
	})
	if err != nil {
		return fmt.Errorf("share the server identity through etcd: %w", err)
	}
	return nil
}

// newCreds returns the cluster credential store; in distributed mode each
// cluster's files are shared through the store.
func (m *Main) newCreds() *clustercreds.Store {
	var share clustercreds.ShareFunc
	if m.distributed() {
		share = m.shareClusterCreds
	}
	return clustercreds.New(m.path("clusters"), m.cfg.Now, share)
}

// closeStore releases the claims, then closes the store and the etcd
// client.
func (m *Main) closeStore(ctx context.Context) []error {
	if c, ok := m.dist.claims.(*claims.Etcd); ok {
		if !m.dist.storeUp.Load() { // nothing to tell an unreachable etcd: the leases expire
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			cancel()
		}
		c.Close(ctx)
	}
	var errs []error
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	if m.dist.etcd != nil {
		errs = append(errs, m.dist.etcd.Close())
	}
	return errs
}

// openBackend opens the store backend. The bbolt file is refused when it
// is missing or empty beside an existing identity (datadir.CheckStore),
// damaged (boltstore.ErrCorrupt) or held by another process
// (boltstore.ErrInUse); each error names the file and what to do.
func (m *Main) openBackend() error {
	if m.cfg.Store != StoreEtcd {
		if err := datadir.CheckStore(m.cfg.DataDir, m.cfg.AllowEmptyStore); err != nil {
			return err
		}
		st, err := boltstore.Open(m.path(storeFile), boltstore.WithAllowEmpty()) // empty: CheckStore found no identity to lose
		if err != nil {
			return err
		}
		for _, note := range st.Notes() {
			m.log.Warn("store check", "file", st.Path(), "note", note)
		}
		m.store, m.dist.claims = st, controller.LocalClaims{}
		m.dist.storeUp.Store(true)
		return nil
	}
	e := m.cfg.Etcd
	ccfg := clientv3.Config{
		Endpoints:          e.Endpoints,
		DialTimeout:        5 * time.Second,
		DialKeepAliveTime:  5 * time.Second,
		MaxCallSendMsgSize: maxEtcdMessage,
		MaxCallRecvMsgSize: maxEtcdMessage,
		Logger:             zap.NewNop(),
	}
	if e.CAFile != "" || e.CertFile != "" || e.KeyFile != "" {
		tc, err := (transport.TLSInfo{TrustedCAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile}).ClientConfig()
		if err != nil {
			return fmt.Errorf("open etcd store %s: tls: %w", strings.Join(e.Endpoints, ","), err)
		}
		tc.MinVersion = tls.VersionTLS12
		ccfg.TLS = tc
	}
	client, err := clientv3.New(ccfg)
	if err != nil {
		return fmt.Errorf("open etcd store %s: %w", strings.Join(e.Endpoints, ","), err)
	}
	m.dist.etcd = client
	m.store = etcdstore.New(client, e.Prefix)
	claimer := etcdstore.NewClaimer(client, e.Prefix+"claims/", m.cfg.ClaimTTL)
	m.dist.claims = claims.NewEtcd(claimer)
	m.dist.lock = claimer.Lock
	m.dist.storeUp.Store(true)
	return nil
}

// distributed reports whether replicas share the store (etcd mode).
func (m *Main) distributed() bool { return m.cfg.Store == StoreEtcd }

// probeStore keeps storeUp current (tagwall_store_up, /readyz) until ctx
// ends: a store read every interval, bounded by the interval.
func (m *Main) probeStore(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		rev, err := m.store.Revision(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if up := err == nil; up != m.dist.storeUp.Load() {
			if up {
				m.log.Info("store reachable again", "revision", rev)
			} else {
				m.log.Warn("store unreachable: the front door keeps enforcing the last state it applied (fail static)", "err", err)
			}
			m.dist.storeUp.Store(up)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var _ store.Store = (*etcdstore.Store)(nil)

// storeDownDetail is the /readyz line while the store is unreachable.
// /readyz then answers 503: this replica cannot take API writes, so a
// load balancer should send API calls elsewhere; its front door keeps
// enforcing the routes it last applied (never opens, never empties), so
// connections it still receives get the same answer as before.
func (m *Main) storeDownDetail() string {
	return fmt.Sprintf("fail static: enforcing the last applied state (%d routes) until the store is back", m.routeCount.Load())
}
