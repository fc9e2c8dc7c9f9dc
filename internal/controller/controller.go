package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// Route is one cluster's front-door entry. The wiring fills the upstream.
type Route struct {
	ClusterID string          // ARM resource ID
	SNI       string          // the cluster's fqdn
	Allow     *allowlist.List // who may connect
	Version   string          // changes whenever Allow, Grants or Shadow do
	// Stopped: the cluster is stopped (aks stop); its front door refuses
	// every client with reason cluster-stopped.
	Stopped bool
	// KubernetesVersion is the version the cluster runs (a minor alias
	// resolved to its patch), for its stand-in's /version.
	KubernetesVersion string
	// Grants are the cluster's time-bound grants (expired ones included:
	// the gateway ignores them and schedules the expiry itself).
	Grants []gateway.Grant
	// Shadow is the compiled shadow list; nil when the cluster has none.
	Shadow *allowlist.List
}

// Config configures a Controller. Store and Apply are required.
type Config struct {
	Store        store.Store
	Catalog      func() *servicetag.Catalog // the catalog in force (nil result: none)
	SystemRanges []netip.Prefix             // admitted by every cluster besides its own list
	Apply        func(routes []Route)       // the whole table, after every change, from one goroutine
	// ApplyChanges, when set, receives the changes instead of Apply after
	// the first table: the routes added or changed (set) and the cluster
	// IDs whose route is gone (remove) since the last call, one call per
	// batch of store events. Apply still receives the whole table after a
	// full listing (start, compaction). Same goroutine as Apply.
	ApplyChanges func(set []Route, remove []string)
	Logger       *slog.Logger
	Now          func() time.Time
	// Claims makes the store writes happen once among replicas sharing
	// the store; nil: LocalClaims (one process).
	Claims Claims
	// Deleted, when set, is called with the resource id of a cluster whose
	// record was deleted (its delete finished, on any replica), from the
	// Run goroutine: what was kept for it (its CA and token) must go, so a
	// cluster created again under the same id gets its own.
	Deleted func(clusterID string)
	// OperationRetention is how long an ended operation's record (what
	// Azure-AsyncOperation and Location URLs answer) is kept after its
	// end; then Run deletes it (sweepOperations). 0: DefaultOperationRetention.
	OperationRetention time.Duration
	// MaxEndedOperations bounds the ended operations' records kept
	// whatever their age: past it the sweep deletes the oldest ended ones
	// first (their status URLs then answer 404 before the retention), but
	// none that ended within the last 5 minutes. 0:
	// DefaultMaxEndedOperations; negative: no bound but the retention.
	MaxEndedOperations int
}

// Controller reconciles stored clusters into routes. Use New, then Run.
type Controller struct {
	cfg       Config
	catalogCh chan struct{}

	synced atomic.Bool // a full listing's routes were applied

	mu       sync.Mutex
	applied  int64         // store revision the routes reflect
	progress chan struct{} // closed and replaced when applied moves

	// Owned by the Run goroutine.
	clusters map[string]*clusterEntry
	ops      map[string]map[string]*opEntry // cluster key → op id → op
	features map[string]*featureEntry
	routes   map[string]Route
	compiler *routecompile.Compiler
	retry    map[string]bool
	dirty    bool
	full     bool              // the next apply passes the whole table (Apply)
	changed  map[string]string // store key → cluster ID of the routes changed since the last apply
	restored int64             // revision Restore listed (0: Run lists)
	catalog  *servicetag.Catalog
	post     []func(ctx context.Context)
}

type clusterEntry struct {
	mc  state.ManagedCluster
	rev int64
}

type opEntry struct {
	op  state.Operation
	rev int64
}

type featureEntry struct {
	f       state.Feature
	rev     int64
	retryAt time.Time // local: not before this (zero: at the deadline)
}

// New returns a Controller; it does nothing until Run.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, errors.New("controller: config has no Store")
	}
	if cfg.Apply == nil {
		return nil, errors.New("controller: config has no Apply")
	}
	if cfg.Catalog == nil {
		cfg.Catalog = func() *servicetag.Catalog { return nil }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OperationRetention <= 0 {
		cfg.OperationRetention = DefaultOperationRetention
	}
	if cfg.MaxEndedOperations == 0 {
		cfg.MaxEndedOperations = DefaultMaxEndedOperations
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Claims == nil {
		cfg.Claims = LocalClaims{}
	}
	for i, p := range cfg.SystemRanges {
		if !p.IsValid() {
			return nil, fmt.Errorf("controller: system range %d is invalid", i)
		}
		cfg.SystemRanges[i] = p.Masked()
	}
	rc, err := routecompile.New(routecompile.Options{System: cfg.SystemRanges})
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	return &Controller{
		cfg: cfg, catalogCh: make(chan struct{}, 1), progress: make(chan struct{}),
		compiler: rc,
	}, nil
}

// CompileStats returns the route compiler's counts (clusters compiled,
// degraded, stale tags, tag sets held) for metrics. It is safe to call
// from any goroutine.
func (c *Controller) CompileStats() routecompile.Stats { return c.compiler.Stats() }

// TagsInUse lists the tag names the clusters' lists name (lower case), for
// servicetag.SetConfig.InUse. It is safe to call from any goroutine.
func (c *Controller) TagsInUse() []string { return c.compiler.TagsInUse() }

// CatalogChanged tells the controller that the catalog in force changed:
// clusters whose tags' changeNumbers changed are recompiled. It never
// blocks.
func (c *Controller) CatalogChanged() {
	select {
	case c.catalogCh <- struct{}{}:
	default:
	}
}

// WaitApplied returns when the routes reflect store revision rev (every
// change up to rev has been applied), or ctx's error.
func (c *Controller) WaitApplied(ctx context.Context, rev int64) error {
	for {
		c.mu.Lock()
		done, ch := c.applied >= rev, c.progress
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Controller) setApplied(rev int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rev > c.applied {
		c.applied = rev
		close(c.progress)
		c.progress = make(chan struct{})
	}
}

// Restore lists the store and applies every stored cluster's route
// (Config.Apply) before Run, so a restarting server enforces its routes
// before it takes connections. The store writes the listing calls for
// (operations to complete and the like) wait for Run, which watches from
// the listed revision. It must not be called once Run has started.
func (c *Controller) Restore(ctx context.Context) error {
	rev, err := c.list(ctx, false)
	if err != nil {
		return fmt.Errorf("restore routes: %w", err)
	}
	c.restored = rev
	return nil
}

// Synced reports whether the routes of a full listing of the store (by
// Restore or Run) have been applied. It is safe to call from any
// goroutine.
func (c *Controller) Synced() bool { return c.synced.Load() }

// ready is a closed channel: a select case that is always ready.
var ready = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// Run lists and watches the store until ctx ends; it returns nil then.
// After Restore it starts from the restored revision.
func (c *Controller) Run(ctx context.Context) error {
	var sweeper sync.WaitGroup
	defer sweeper.Wait()
	sweeper.Go(func() { c.sweepLoop(ctx) })
	rev := c.restored
	needList := rev == 0
	var events <-chan store.Event
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		if needList {
			r, err := c.relist(ctx)
			if err != nil {
				c.cfg.Logger.Warn("controller list", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			rev, needList = r, false
		}
		if events == nil {
			ch, err := c.cfg.Store.Watch(ctx, state.Prefix, rev)
			if errors.Is(err, store.ErrCompacted) {
				needList = true
				continue
			}
			if err != nil {
				c.cfg.Logger.Warn("controller watch", "from", rev, "err", err)
				sleep(ctx, time.Second)
				continue
			}
			events = ch
		}
		c.resetTimer(timer)
		var more <-chan struct{} // store writes left over by a flush
		if len(c.post) > 0 {
			more = ready
		}
		pending := func() bool { return len(events) > 0 }
		select {
		case <-ctx.Done():
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			rev = c.handleBatch(ctx, ev, events, pending)
		case <-more:
			c.flush(ctx, pending)
		case <-c.catalogCh:
			c.catalogChanged()
			c.flush(ctx, pending)
		case <-timer.C:
			c.tick(ctx)
			c.flush(ctx, pending)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// handleBatch handles ev and whatever else is already queued, applies once,
// and returns the last revision seen.
func (c *Controller) handleBatch(ctx context.Context, ev store.Event, events <-chan store.Event, pending func() bool) int64 {
	c.catalog = c.cfg.Catalog()
	rev := ev.KV.ModRevision
	c.handle(ev)
drain:
	for n := 0; n < 512; n++ {
		select {
		case ev2, ok := <-events:
			if !ok {
				break drain
			}
			c.handle(ev2)
			rev = ev2.KV.ModRevision
		default:
			break drain
		}
	}
	c.flush(ctx, pending)
	c.setApplied(rev)
	return rev
}

// relist rebuilds every map from a full listing, reconciles everything
// and runs the store writes that follow.
func (c *Controller) relist(ctx context.Context) (int64, error) { return c.list(ctx, true) }

// list rebuilds every map from a full listing, reconciles everything and
// applies the whole table; with writes, the store writes that follow run
// too, else they wait for the next flush.
func (c *Controller) list(ctx context.Context, writes bool) (int64, error) {
	kvs, rev, err := c.cfg.Store.List(ctx, state.Prefix)
	if err != nil {
		return 0, err
	}
	c.clusters = make(map[string]*clusterEntry, len(kvs))
	c.ops = map[string]map[string]*opEntry{}
	c.features = map[string]*featureEntry{}
	c.retry = map[string]bool{}
	if c.routes == nil {
		c.routes = make(map[string]Route, len(kvs))
	}
	c.catalog = c.cfg.Catalog()
	for i, e := range c.decodeClusters(kvs) {
		if e != nil {
			c.clusters[kvs[i].Key] = e
		} else if !strings.HasPrefix(kvs[i].Key, state.ClustersPrefix) && !finishedOp(kvs[i]) {
			c.load(kvs[i])
		}
	}
	for key := range c.routes {
		if _, ok := c.clusters[key]; !ok {
			delete(c.routes, key)
			c.forget(key)
		}
	}
	for key := range c.clusters {
		c.reconcile(key)
	}
	c.failOrphans()
	c.dirty, c.full = true, true
	if writes {
		c.flush(ctx, nil)
	} else {
		c.apply()
	}
	c.setApplied(rev)
	c.synced.Store(true)
	return rev, nil
}

// handle folds one event into the maps and reconciles what it touched.
func (c *Controller) handle(ev store.Event) {
	key := ev.KV.Key
	if ev.Type == store.EventDelete {
		switch {
		case strings.HasPrefix(key, state.ClustersPrefix):
			delete(c.clusters, key)
			c.forget(key)
			c.dropRoute(key)
			c.finishDeletes(key)
			if id, ok := clusterIDOf(key); ok && c.cfg.Deleted != nil {
				c.cfg.Deleted(id)
			}
		case strings.HasPrefix(key, state.OperationsPrefix):
			for ck, m := range c.ops {
				for id := range m {
					if state.OperationKey(id) == key {
						delete(m, id)
					}
				}
				if len(m) == 0 {
					delete(c.ops, ck)
				}
			}
		case strings.HasPrefix(key, state.FeaturesPrefix):
			delete(c.features, key)
		}
		return
	}
	c.load(ev.KV)
	switch {
	case strings.HasPrefix(key, state.ClustersPrefix):
		c.reconcile(key)
	case strings.HasPrefix(key, state.OperationsPrefix):
		var op state.Operation
		if state.Decode(key, ev.KV.Value, &op) == nil {
			c.reconcile(op.ClusterKey)
		}
	}
}

// load decodes one key into the maps.
func (c *Controller) load(kv store.KV) {
	switch {
	case strings.HasPrefix(kv.Key, state.ClustersPrefix):
		e, err := decodeCluster(kv)
		if err != nil {
			c.cfg.Logger.Error("controller", "err", err)
			return
		}
		c.clusters[kv.Key] = e
	case strings.HasPrefix(kv.Key, state.OperationsPrefix):
		var op state.Operation
		if err := state.Decode(kv.Key, kv.Value, &op); err != nil {
			c.cfg.Logger.Error("controller", "err", err)
			return
		}
		m := c.ops[op.ClusterKey]
		if op.Status != arm.StatusInProgress {
			if m != nil {
				delete(m, op.ID)
				if len(m) == 0 {
					delete(c.ops, op.ClusterKey)
				}
			}
			return
		}
		if m == nil {
			m = map[string]*opEntry{}
			c.ops[op.ClusterKey] = m
		}
		m[op.ID] = &opEntry{op: op, rev: kv.ModRevision}
	case strings.HasPrefix(kv.Key, state.FeaturesPrefix):
		var f state.Feature
		if err := state.Decode(kv.Key, kv.Value, &f); err != nil {
			c.cfg.Logger.Error("controller", "err", err)
			return
		}
		c.features[kv.Key] = &featureEntry{f: f, rev: kv.ModRevision}
	}
}

// flush applies the routes when they changed, then runs the store writes
// that must follow an applied table, in order. When pending (nil: never)
// reports store events waiting, it stops between two writes and leaves the
// rest queued, so a burst of changes is applied without waiting for the
// writes of the earlier ones (Run calls flush again when idle).
func (c *Controller) flush(ctx context.Context, pending func() bool) {
	c.apply()
	for len(c.post) > 0 {
		if ctx.Err() != nil || pending != nil && pending() {
			return // stopping (a restart resumes them), or events first
		}
		f := c.post[0]
		c.post[0] = nil
		c.post = c.post[1:]
		f(ctx)
	}
	c.post = nil
}

// apply passes the routes to Config.Apply (the whole table) or to
// Config.ApplyChanges (what changed) when they changed.
func (c *Controller) apply() {
	if !c.dirty {
		return
	}
	if c.full || c.cfg.ApplyChanges == nil {
		c.cfg.Apply(c.table())
	} else {
		var set []Route
		var remove []string
		for key, id := range c.changed {
			if r, ok := c.routes[key]; ok {
				set = append(set, r)
			} else {
				remove = append(remove, id)
			}
		}
		c.cfg.ApplyChanges(set, remove)
	}
	c.dirty, c.full = false, false
	clear(c.changed)
}

// setRoute records key's new route.
func (c *Controller) setRoute(key string, r Route) {
	c.routes[key] = r
	c.markChanged(key, r.ClusterID)
}

// dropRoute removes key's route, if any.
func (c *Controller) dropRoute(key string) {
	if r, ok := c.routes[key]; ok {
		delete(c.routes, key)
		c.markChanged(key, r.ClusterID)
	}
}

func (c *Controller) markChanged(key, id string) {
	if c.changed == nil {
		c.changed = map[string]string{}
	}
	c.changed[key] = id
	c.dirty = true
}

// table returns the routes sorted by cluster ID.
func (c *Controller) table() []Route {
	out := make([]Route, 0, len(c.routes))
	for _, r := range c.routes {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClusterID < out[j].ClusterID })
	return out
}

// clusterIDOf is the resource id of a cluster key
// (state.ClusterKey(sub, rg, name), lower-cased as keys are).
func clusterIDOf(key string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(key, state.ClustersPrefix), "/")
	if len(parts) != 3 || !strings.HasPrefix(key, state.ClustersPrefix) {
		return "", false
	}
	return arm.ManagedClusterID(parts[0], parts[1], parts[2]), true
}
