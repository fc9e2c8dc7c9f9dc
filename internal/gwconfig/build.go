package gwconfig

import (
	"errors"
	"fmt"
	"sync"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// TagCache is the route compiler state kept between compilations: the
// shared tag sets (a reload or refresh that leaves a tag's version unchanged
// does not recompile it), each tag's last good set and each route's
// degraded notes. The zero value is ready; it is safe for concurrent use.
// A TagCache must not be copied after first use.
type TagCache struct {
	once sync.Once
	c    *routecompile.Compiler
}

func (tc *TagCache) compiler() *routecompile.Compiler {
	tc.once.Do(func() {
		tc.c, _ = routecompile.New(routecompile.Options{}) // no system ranges: cannot fail
	})
	return tc.c
}

// Stats returns the compiler's counts (routes, degraded routes, stale
// tags, tag sets held) for metrics.
func (tc *TagCache) Stats() routecompile.Stats { return tc.compiler().Stats() }

// Compile resolves every route's authorizedIPRanges against cat (the
// service-tag catalog in force: servicetag.Set.Current, which already
// applies the one multi-source rule, first source wins; nil: no data) and
// returns the gateway routes, or every problem. A tag that vanished from
// the data keeps its last good prefixes in cache and the route is degraded
// (CompileNotes reports it); a tag unknown to the data and to cache is an
// error.
func (c *Config) Compile(cat *servicetag.Catalog, cache *TagCache) ([]gateway.Route, error) {
	routes, _, err := c.CompileNotes(cat, cache)
	return routes, err
}

// CompileNotes is Compile that also returns, per route name, the degraded
// notes and warnings to log (nil when there are none).
func (c *Config) CompileNotes(cat *servicetag.Catalog, cache *TagCache) ([]gateway.Route, map[string][]string, error) {
	results, err := c.compile(cat, cache)
	if err != nil {
		return nil, nil, err
	}
	routes := make([]gateway.Route, len(results))
	var notes map[string][]string
	for i, res := range results {
		route := c.Routes[i]
		routes[i] = gateway.Route{Name: route.Name, SNI: route.SNI, Upstream: route.Upstream,
			Allow: res.Allow, Version: res.Version, Prefixes: res.Prefixes}
		if n := append(append([]string(nil), res.Notes...), res.Warnings...); len(n) > 0 {
			if notes == nil {
				notes = map[string][]string{}
			}
			notes[route.Name] = n
		}
	}
	return routes, notes, nil
}

// compile validates and compiles every route; on success the compiler's
// state is the new routes'.
func (c *Config) compile(cat *servicetag.Catalog, cache *TagCache) ([]*routecompile.Result, error) {
	if cache == nil {
		cache = &TagCache{}
	}
	rc := cache.compiler()
	var tags routecompile.Tags
	if cat != nil {
		tags = cat
	}
	lists, errs := c.lists(rc.Index(tags))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rc.CompileAll(tags, lists)
}

// lists validates every route's ranges (rangespec.ModeStandalone against
// ix; nil: no data, every tag refused) into the compiler's normalised
// lists, collecting every problem.
func (c *Config) lists(ix rangespec.TagIndex) ([]routecompile.List, []error) {
	var errs []error
	lists := make([]routecompile.List, 0, len(c.Routes))
	for i, rc := range c.Routes {
		l := routecompile.List{Name: rc.Name, AllowAll: rc.AllowAll}
		if !rc.AllowAll {
			spec, err := rangespec.ParseList(rc.AuthorizedIPRanges, rangespec.Options{Mode: rangespec.ModeStandalone, Tags: ix})
			if err != nil {
				errs = append(errs, fmt.Errorf("routes[%d] %q: authorizedIPRanges: %w", i, rc.Name, err))
				continue
			}
			l.Entries = spec.Strings()
		}
		lists = append(lists, l)
	}
	return lists, errs
}
