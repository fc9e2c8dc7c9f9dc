package gwconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Log receives reload, refresh and degraded-route messages.
	Log *slog.Logger
	// CacheDir is the service-tag cache dir used when the file has no
	// serviceTagCache ("" and none in the file: nothing kept on disk).
	CacheDir string
	// StatusInterval is how often the service-tag status is published to
	// the gateway's metrics and acceptChangeNumber is checked against held
	// documents (default 10s).
	StatusInterval time.Duration
	// RetryMin, RetryMax and HTTP are passed to servicetag.SetConfig.
	RetryMin, RetryMax time.Duration
	HTTP               servicetag.HTTPOptions
}

// Runner keeps a gateway's routes in step with a config file and its
// service-tag catalog: one servicetag.Set built from the file's sources
// (the one refresh loop, the update checks, pins and held documents), whose
// changes recompile the routes. Create it with NewRunner, call Start once,
// then Watch; Reload may be called at any time; Close stops it. Methods are
// safe for concurrent use.
type Runner struct {
	path string
	gw   *gateway.Gateway
	opt  RunnerOptions
	log  *slog.Logger

	dirty chan struct{}  // the Set's catalog changed: recompile
	wg    sync.WaitGroup // follow and the Set's refresh loop: Close waits

	mu      sync.Mutex
	ctx     context.Context    // from Start: the Set's loop runs under it
	stop    context.CancelFunc // ends ctx (Close)
	closed  bool               // Close was called: Reload refuses, nothing starts
	cfg     *Config            // in force
	raw     []byte             // the bytes cfg was parsed from
	set     *servicetag.Set    // nil while the file needs no service tags
	stopSet context.CancelFunc
	cache   TagCache
	notes   map[string]string     // degraded notes logged, by route
	metered []string              // sources published to the gateway's metrics
	routes  []gateway.Route       // in force
	onRoute func([]gateway.Route) // OnRoutes
}

// OnRoutes makes f see every route table the runner installs (the web
// console's decision recorder); call it before Start. f runs with the
// runner's lock held and must not call the runner.
func (r *Runner) OnRoutes(f func([]gateway.Route)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onRoute = f
}

// Routes returns the route table in force.
func (r *Runner) Routes() []gateway.Route {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.routes
}

// NewRunner returns a Runner for the file at path feeding gw.
func NewRunner(path string, gw *gateway.Gateway, opt RunnerOptions) *Runner {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.StatusInterval <= 0 {
		opt.StatusInterval = 10 * time.Second
	}
	return &Runner{path: path, gw: gw, opt: opt, log: opt.Log, dirty: make(chan struct{}, 1)}
}

// Start loads cfg (the file's first parse, already validated by the
// caller): it builds the service-tag Set when the file needs one (each
// source's cache, else its embedded snapshot, is put in force; a source
// with neither is fetched before the routes compile), compiles and installs
// the routes, and runs the Set's refresh loop until ctx ends or Close is
// called. A route naming a tag that no data defines is an error: the
// gateway does not start, and nothing is left running.
func (r *Runner) Start(ctx context.Context, cfg *Config, raw []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errClosed
	}
	r.ctx, r.stop = context.WithCancel(ctx)
	if err := r.apply(r.ctx, cfg, raw); err != nil {
		r.stop()
		return err
	}
	r.wg.Go(func() { r.follow(r.ctx) })
	return nil
}

// Close stops the refresh loop and the route follower and returns once
// they have returned, so no cache file is written after it (a caller may
// then remove the cache dir). The routes in force stay in the gateway.
// Close is safe to call more than once, and before Start.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	if r.stop != nil {
		r.stop()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// errClosed is Reload's error after Close.
var errClosed = errors.New("gateway config runner closed")

// Config returns the configuration in force.
func (r *Runner) Config() *Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// ServiceTags returns the service-tag Set in force, nil when the file needs
// no service tags.
func (r *Runner) ServiceTags() *servicetag.Set {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set
}

// Stats returns the route compiler's counts (metrics).
func (r *Runner) Stats() routecompile.Stats { return r.cache.Stats() }

// Status returns the service-tag status (empty when the file needs none).
func (r *Runner) Status() servicetag.SetStatus {
	if set := r.ServiceTags(); set != nil {
		return set.Status()
	}
	return servicetag.SetStatus{}
}

// Reload reads the file again and, when it changed (or force is set),
// validates and compiles it and swaps the routes in. On any error the
// running configuration stays in force and the error is returned (and
// logged by Watch). After Close it changes nothing and returns an error.
func (r *Runner) Reload(ctx context.Context, force bool) error {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return fmt.Errorf("reload gateway config %s: %w", r.path, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("reload gateway config %s: %w", r.path, errClosed)
	}
	if !force && bytes.Equal(data, r.raw) {
		return nil
	}
	cfg, err := Parse(r.path, data)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	cfg.Dir = filepath.Dir(r.path)
	if err := r.apply(ctx, cfg, data); err != nil {
		return fmt.Errorf("reload gateway config %s: %w", r.path, err)
	}
	return nil
}

// apply makes cfg the configuration in force, or changes nothing. r.mu
// is held.
func (r *Runner) apply(ctx context.Context, cfg *Config, raw []byte) error {
	set, undo, err := r.prepareSet(ctx, cfg)
	if err != nil {
		return err
	}
	var cat *servicetag.Catalog
	if set != nil {
		cat = set.Current()
	}
	routes, notes, err := cfg.CompileNotes(cat, &r.cache)
	if err != nil {
		undo()
		return err
	}
	r.warnRestart(cfg)
	r.gw.SetLiveOptions(cfg.RevokeExisting, cfg.AuditAllowed)
	if set != r.set {
		r.swapSet(set)
	}
	r.cfg, r.raw = cfg, raw
	r.install(routes, notes)
	r.publishStatus()
	r.log.Info("gateway config in force", "file", r.path, "routes", len(routes), "service_tag_sources", len(r.sourcesInForce()))
	return nil
}

// prepareSet returns the Set cfg needs (the one in force with cfg's
// sources and pins, a new one, or nil) and a function that undoes the
// changes if cfg is then refused. r.mu is held.
func (r *Runner) prepareSet(ctx context.Context, cfg *Config) (*servicetag.Set, func(), error) {
	if !cfg.NeedsServiceTags() {
		return nil, func() {}, nil
	}
	if r.set == nil {
		set, err := r.newSet(ctx, cfg)
		return set, func() {}, err
	}
	old := r.cfg
	undo := func() {
		if err := r.set.SetSources(old.TagSources()); err != nil {
			r.log.Error("service tags: restore the sources in force", "error", err)
		}
		if err := syncPins(r.set, old.ServiceTagPins); err != nil {
			r.log.Error("service tags: restore the pins in force", "error", err)
		}
	}
	if err := r.set.SetSources(cfg.TagSources()); err != nil {
		return nil, nil, err
	}
	if err := r.fetchEmpty(ctx, r.set); err != nil {
		undo()
		return nil, nil, err
	}
	if err := syncPins(r.set, cfg.ServiceTagPins); err != nil {
		undo()
		return nil, nil, err
	}
	r.accept(r.set, cfg)
	return r.set, undo, nil
}

// newSet builds and loads the Set of cfg. r.mu is held.
func (r *Runner) newSet(ctx context.Context, cfg *Config) (*servicetag.Set, error) {
	dir := cfg.ServiceTagCache
	if dir == "" {
		dir = r.opt.CacheDir
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(cfg.Dir, dir)
	}
	set, err := servicetag.NewSet(servicetag.SetConfig{
		Sources: cfg.TagSources(), CacheDir: dir, Log: r.log, HTTP: r.opt.HTTP,
		RetryMin: r.opt.RetryMin, RetryMax: r.opt.RetryMax,
		InUse: r.cache.compiler().TagsInUse,
		OnChange: func(*servicetag.Catalog) {
			select {
			case r.dirty <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if err := set.Load(); err != nil {
		r.log.Error("service tags: operator state unreadable, pins and holds start empty", "error", err)
	}
	if err := r.fetchEmpty(ctx, set); err != nil {
		return nil, err
	}
	if err := syncPins(set, cfg.ServiceTagPins); err != nil {
		return nil, err
	}
	r.accept(set, cfg)
	return set, nil
}

// fetchEmpty fetches, now, each source that has no document in force (no
// cache, no snapshot), so a route naming its tags can compile. A source
// that still has none is an error: the file names a source that does not
// work (the gateway fails closed rather than start without it).
func (r *Runner) fetchEmpty(ctx context.Context, set *servicetag.Set) error {
	var errs []error
	for _, st := range set.Status().Sources {
		if st.Origin != servicetag.OriginNone {
			continue
		}
		if _, err := set.RefreshSource(ctx, st.Source); !hasDocument(set, st.Source) {
			errs = append(errs, fmt.Errorf("service tag source %q: no document (no cache, no snapshot, fetch failed): %w", st.Source, err))
		}
	}
	return errors.Join(errs...)
}

// hasDocument reports whether source has a document in force.
func hasDocument(set *servicetag.Set, source string) bool {
	for _, st := range set.Status().Sources {
		if st.Source == source {
			return st.Origin != servicetag.OriginNone
		}
	}
	return false
}

// accept applies the file's acceptChangeNumber keys to held documents.
func (r *Runner) accept(set *servicetag.Set, cfg *Config) {
	done, err := acceptListed(set, cfg)
	for _, src := range done {
		r.log.Warn("service tags: held document accepted by the config file's acceptChangeNumber", "source", src)
	}
	if err != nil {
		r.log.Error("service tags: acceptChangeNumber", "error", err)
	}
}

// swapSet stops the Set in force and runs set (nil: none). r.mu is held.
func (r *Runner) swapSet(set *servicetag.Set) {
	if r.stopSet != nil {
		r.stopSet()
		r.stopSet = nil
	}
	r.set = set
	if set == nil {
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.stopSet = cancel
	r.wg.Go(func() { _ = set.Run(ctx) })
}

// follow recompiles the routes when the Set's catalog changes, and
// publishes the status and applies acceptChangeNumber every
// StatusInterval, until ctx ends.
func (r *Runner) follow(ctx context.Context) {
	t := time.NewTicker(r.opt.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.dirty:
			r.recompile()
		case <-t.C:
			r.mu.Lock()
			if r.set != nil {
				r.accept(r.set, r.cfg)
			}
			r.publishStatus()
			r.mu.Unlock()
		}
	}
}

// recompile rebuilds the routes after the catalog changed.
func (r *Runner) recompile() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil || r.cfg == nil {
		return
	}
	routes, notes, err := r.cfg.CompileNotes(r.set.Current(), &r.cache)
	if err != nil {
		r.log.Error("service tag change: routes not recompiled, the previous lists stay in force", "error", err)
		return
	}
	r.install(routes, notes)
	r.publishStatus()
	r.log.Info("service tag change: routes recompiled", "routes", len(routes), "catalog", r.describe())
}

// install swaps the routes in and logs each route whose degraded notes
// changed. r.mu is held.
func (r *Runner) install(routes []gateway.Route, notes map[string][]string) {
	r.gw.SetRoutes(routes)
	r.routes = routes
	if r.onRoute != nil {
		r.onRoute(routes)
	}
	next := map[string]string{}
	for name, n := range notes {
		next[name] = strings.Join(n, "; ")
		if r.notes[name] != next[name] {
			r.log.Warn("route degraded", "route", name, "notes", next[name])
		}
	}
	for name := range r.notes {
		if _, still := next[name]; !still {
			r.log.Info("route no longer degraded", "route", name)
		}
	}
	r.notes = next
}

// describe says what the catalog in force is. r.mu is held.
func (r *Runner) describe() string {
	var parts []string
	for _, st := range r.set.Status().Sources {
		parts = append(parts, st.Source+": "+st.InForce)
	}
	return strings.Join(parts, "; ")
}

// sourcesInForce lists the sources of the Set in force. r.mu is held.
func (r *Runner) sourcesInForce() []string {
	if r.set == nil {
		return nil
	}
	return r.set.Sources()
}

// publishStatus feeds the gateway's per-source service-tag metrics. r.mu
// is held.
func (r *Runner) publishStatus() {
	var now []string
	if r.set != nil {
		for _, st := range r.set.Status().Sources {
			r.gw.SetServiceTagStatus(st.Source, st.ChangeNumber, st.Since)
			now = append(now, st.Source)
		}
	}
	for _, src := range r.metered {
		if !slices.Contains(now, src) {
			r.gw.ForgetServiceTagSource(src)
		}
	}
	r.metered = now
}

// warnRestart logs settings that changed but only take effect at start.
// Values are compared, not pointers: an unchanged key is never reported.
func (r *Runner) warnRestart(cfg *Config) {
	old := r.cfg
	if old == nil {
		return
	}
	if old.Listen != cfg.Listen || old.Metrics != cfg.Metrics {
		r.log.Warn("listen and metrics addresses changed: restart to apply them; routes are reloaded now",
			"listen", old.Listen, "newListen", cfg.Listen, "metrics", old.Metrics, "newMetrics", cfg.Metrics)
	}
	if changed := restartKeysChanged(old.Gateway(), cfg.Gateway()); len(changed) > 0 {
		r.log.Warn(strings.Join(changed, ", ") + " changed: restart to apply them; routes are reloaded now")
	}
}

// restartKeysChanged names the file keys whose values differ between a and
// b among those gateway.New reads once (revokeExisting and auditAllowed
// are applied live by apply).
func restartKeysChanged(a, b gateway.Config) []string {
	var out []string
	if !slices.Equal(a.TrustedProxies, b.TrustedProxies) || a.RequireProxyHeader != b.RequireProxyHeader {
		out = append(out, "proxyProtocol")
	}
	if a.ClientHelloTimeout != b.ClientHelloTimeout {
		out = append(out, "clientHelloTimeout")
	}
	if a.DialTimeout != b.DialTimeout {
		out = append(out, "dialTimeout")
	}
	if a.MaxConns != b.MaxConns || a.MaxUndecided != b.MaxUndecided || a.MaxUndecidedPerSource != b.MaxUndecidedPerSource {
		out = append(out, "connection caps")
	}
	return out
}

// Watch reloads the file when it changes (the directory is watched, since
// editors replace files) and whenever hup delivers, until ctx ends. Errors
// are logged; the running configuration stays in force.
func (r *Runner) Watch(ctx context.Context, hup <-chan os.Signal) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch gateway config %s: %w", r.path, err)
	}
	defer w.Close()
	dir, base := filepath.Dir(r.path), filepath.Base(r.path)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watch gateway config %s: %w", r.path, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			r.reloadAndLog(ctx, true, "signal")
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Base(ev.Name) == base && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				r.reloadAndLog(ctx, false, "file change")
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.log.Warn("watch gateway config", "file", r.path, "error", err)
		}
	}
}

func (r *Runner) reloadAndLog(ctx context.Context, force bool, why string) {
	if err := r.Reload(ctx, force); err != nil {
		r.log.Error("gateway config rejected: the running configuration stays in force", "file", r.path, "trigger", why, "error", err)
	}
}
