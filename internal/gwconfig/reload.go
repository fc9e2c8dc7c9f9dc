package gwconfig

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// Runner keeps a gateway's routes in step with a config file and its
// service-tag sources. Create it with NewRunner, call Start once, then
// Watch; Reload may be called at any time. Methods are safe for concurrent
// use.
type Runner struct {
	path string
	gw   *gateway.Gateway
	log  *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // from Start: keeper loops run under it
	cfg     *Config         // in force
	raw     []byte          // the bytes cfg was parsed from
	keepers map[string]*keeperLoop
	cache   TagCache
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

// SourceStatus returns each service-tag source's status and catalog in
// force (nil before its first load), in the file's order.
func (r *Runner) SourceStatus() ([]servicetag.Status, []*servicetag.Catalog) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sts []servicetag.Status
	var cats []*servicetag.Catalog
	if r.cfg == nil {
		return nil, nil
	}
	for _, s := range r.cfg.ServiceTags {
		if kl := r.keepers[r.cfg.SourceLocation(s)]; kl != nil {
			sts = append(sts, kl.keeper.Status())
			cats = append(cats, kl.keeper.Current())
		}
	}
	return sts, cats
}

// install swaps routes in; r.mu is held.
func (r *Runner) install(routes []gateway.Route) {
	r.gw.SetRoutes(routes)
	r.routes = routes
	if r.onRoute != nil {
		r.onRoute(routes)
	}
}

// keeperLoop is one service-tag source and its refresh loop.
type keeperLoop struct {
	loc     string
	keeper  *servicetag.Keeper
	refresh time.Duration      // configured interval
	running time.Duration      // interval the loop runs with
	stop    context.CancelFunc // nil until started
}

// NewRunner returns a Runner for the file at path feeding gw. log receives
// reload and refresh messages.
func NewRunner(path string, gw *gateway.Gateway, log *slog.Logger) *Runner {
	return &Runner{path: path, gw: gw, log: log, keepers: map[string]*keeperLoop{}}
}

// Start loads cfg (the file's first parse, already validated by the
// caller), fetches every service-tag source once, compiles and installs
// the routes, and starts the refresh loops under ctx. A source that cannot
// be loaded at start is an error: the gateway does not start without data
// its routes name.
func (r *Runner) Start(ctx context.Context, cfg *Config, raw []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctx = ctx
	return r.apply(ctx, cfg, raw)
}

// Config returns the configuration in force.
func (r *Runner) Config() *Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// Reload reads the file again and, when it changed (or force is set),
// validates and compiles it and swaps the routes in. On any error the
// running configuration stays in force and the error is returned (and
// logged by Watch).
func (r *Runner) Reload(ctx context.Context, force bool) error {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return fmt.Errorf("reload gateway config %s: %w", r.path, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
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
	next := map[string]*keeperLoop{}
	var fresh []*keeperLoop
	var catalogs []*servicetag.Catalog
	for _, s := range cfg.ServiceTags {
		loc := cfg.SourceLocation(s)
		kl, ok := r.keepers[loc]
		if !ok {
			src, err := servicetag.NewSource(loc)
			if err != nil {
				return fmt.Errorf("service tag source %q: %w", s.Source, err)
			}
			kl = &keeperLoop{loc: loc, keeper: servicetag.NewKeeper(src)}
			_, err = kl.keeper.Refresh(ctx, false)
			r.publishStatus(kl)
			if err != nil {
				return fmt.Errorf("service tag source %q: %w", s.Source, err)
			}
			fresh = append(fresh, kl)
		}
		kl.refresh = s.Refresh
		next[loc] = kl
		catalogs = append(catalogs, kl.keeper.Current())
	}
	routes, err := cfg.Compile(catalogs, &r.cache)
	if err != nil {
		return err
	}
	r.warnRestart(cfg)
	for loc, kl := range r.keepers {
		if _, keep := next[loc]; !keep {
			kl.halt()
			r.gw.ForgetServiceTagSource(loc)
		}
	}
	for _, kl := range next {
		if kl.stop == nil || kl.refresh != kl.running {
			kl.halt()
			r.startLoop(kl)
		}
	}
	r.keepers, r.cfg, r.raw = next, cfg, raw
	r.install(routes)
	r.log.Info("gateway config in force", "file", r.path, "routes", len(routes), "sources", len(next), "new sources", len(fresh))
	return nil
}

// warnRestart logs settings that changed but only take effect at start.
func (r *Runner) warnRestart(cfg *Config) {
	old := r.cfg
	if old == nil {
		return
	}
	if old.Listen != cfg.Listen || old.Metrics != cfg.Metrics {
		r.log.Warn("listen and metrics addresses changed: restart to apply them; routes are reloaded now",
			"listen", old.Listen, "newListen", cfg.Listen, "metrics", old.Metrics, "newMetrics", cfg.Metrics)
	}
	if fmt.Sprint(old.Gateway()) != fmt.Sprint(cfg.Gateway()) {
		r.log.Warn("proxyProtocol, timeouts, connection caps, revokeExisting and auditAllowed changed: restart to apply them; routes are reloaded now")
	}
}

func (kl *keeperLoop) halt() {
	if kl.stop != nil {
		kl.stop()
		kl.stop = nil
	}
}

// startLoop refreshes kl every kl.refresh until halted; a change
// recompiles the routes. r.mu is held.
func (r *Runner) startLoop(kl *keeperLoop) {
	ctx, cancel := context.WithCancel(r.ctx)
	kl.stop = cancel
	interval := kl.refresh
	kl.running = interval
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			changed, err := kl.keeper.Refresh(ctx, false)
			r.publishStatus(kl)
			if err != nil {
				r.log.Error("service tag refresh: keeping the last good document", "source", kl.loc, "error", err)
				continue
			}
			if changed {
				r.recompile(kl.loc)
			}
		}
	}()
}

// recompile rebuilds the routes after a source changed.
func (r *Runner) recompile(loc string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var catalogs []*servicetag.Catalog
	for _, s := range r.cfg.ServiceTags {
		if kl := r.keepers[r.cfg.SourceLocation(s)]; kl != nil {
			catalogs = append(catalogs, kl.keeper.Current())
		}
	}
	routes, err := r.cfg.Compile(catalogs, &r.cache)
	if err != nil {
		r.log.Error("service tag change: routes not recompiled, the previous lists stay in force", "source", loc, "error", err)
		return
	}
	r.install(routes)
	r.log.Info("service tag change: routes recompiled", "source", loc, "routes", len(routes))
}

func (r *Runner) publishStatus(kl *keeperLoop) {
	st := kl.keeper.Status()
	r.gw.SetServiceTagStatus(kl.loc, st.ChangeNumber, st.LastSuccess)
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
