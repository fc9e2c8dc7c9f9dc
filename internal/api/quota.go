package api

import (
	"context"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

// sharedLockWait bounds the wait for Config.SharedLock: creates in one
// subscription queue behind each other for about one count and one write.
const sharedLockWait = 10 * time.Second

// quota is one per-subscription count limit.
type quota struct {
	kind   string // lock namespace and the noun of the message
	prefix func(sub string) string
	limit  func(cfg *Config) int
	flag   string
}

var (
	clusterQuota = quota{kind: "managed clusters", prefix: state.ClustersInSubscriptionPrefix,
		limit: func(c *Config) int { return c.MaxClustersPerSubscription }, flag: "--max-clusters-per-subscription"}
	groupQuota = quota{kind: "resource groups",
		prefix: func(sub string) string { return state.ResourceGroupsPrefix + strings.ToLower(sub) + "/" },
		limit:  func(c *Config) int { return c.MaxResourceGroupsPerSubscription }, flag: "--max-resource-groups-per-subscription"}
)

// createLocks serializes the count-then-create of one quota in one
// subscription. It is a fixed set of stripes, so its memory does not grow
// with the subscriptions a caller names. The zero value is ready to use.
type createLocks struct {
	seed    maphash.Seed
	once    sync.Once
	stripes [64]sync.Mutex
}

func (l *createLocks) lock(kind, sub string) func() {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	m := &l.stripes[maphash.String(l.seed, kind+"/"+strings.ToLower(sub))%uint64(len(l.stripes))]
	m.Lock()
	return m.Unlock
}

// createWithin runs create, which must write exactly one new record that q
// counts, only while sub has fewer than q's limit; otherwise it returns a
// 409 QuotaExceeded. Updates must not go through it.
//
// The count and the create run under a per-subscription lock: the
// process's own, and Config.SharedLock's across the replicas sharing the
// store, so no replica overshoots either while the shared lock holds (an
// etcd lock lives while its lease does: a replica cut off from etcd for
// the lease's TTL in the middle of a create could lose it, but its write
// to etcd then fails too); a shared lock that cannot be taken refuses the
// create (503) rather than count without it. Records
// being deleted still count until the controller removes them.
func (s *server) createWithin(ctx context.Context, q quota, sub string, create func() error) error {
	limit := q.limit(&s.cfg)
	if limit < 0 {
		return create()
	}
	unlock := s.creates.lock(q.kind, sub)
	defer unlock()
	if s.cfg.SharedLock != nil {
		lctx, cancel := context.WithTimeout(ctx, sharedLockWait)
		release, err := s.cfg.SharedLock(lctx, "quota/"+strings.ReplaceAll(q.kind, " ", "-")+"/"+strings.ToLower(sub))
		cancel()
		if err != nil {
			s.log.Warn("quota lock", "subscription", sub, "kind", q.kind, "err", err)
			return arm.Errorf(http.StatusServiceUnavailable, "ServiceUnavailable",
				"The %s quota of subscription '%s' cannot be checked now (the replicas' shared lock is unavailable); retry the request.", q.kind, sub)
		}
		defer release()
	}
	n, err := s.cfg.Store.Count(ctx, q.prefix(sub))
	if err != nil {
		return err
	}
	if n >= limit {
		return arm.QuotaExceeded(sub, q.kind, n, limit, q.flag)
	}
	return create()
}
