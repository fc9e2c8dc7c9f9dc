package gwconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// union is the tag index over several catalogs: a name resolves when any
// catalog knows it (rangespec.TagIndex).
type union []*servicetag.Catalog

func (u union) LookupTag(name string) (string, bool) {
	for _, c := range u {
		if canon, ok := c.LookupTag(name); ok {
			return canon, true
		}
	}
	return "", false
}

func (u union) TagNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range u {
		for _, n := range c.TagNames() {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// TagCache shares compiled tag sets between compilations, so a reload or a
// refresh that leaves a tag's version unchanged does not recompile it. The
// zero value is ready; it is not safe for concurrent use (Runner serialises).
type TagCache struct {
	sets map[tagKey]*allowlist.TagSet
	used map[tagKey]*allowlist.TagSet
}

type tagKey struct {
	cloud        string
	docChange    int64
	name         string
	changeNumber int64
}

func (tc *TagCache) get(cat *servicetag.Catalog, t *servicetag.Tag) *allowlist.TagSet {
	doc := cat.Document()
	k := tagKey{doc.Cloud, doc.ChangeNumber, t.Name, t.ChangeNumber}
	ts, ok := tc.sets[k]
	if !ok {
		ts = allowlist.NewTagSet(t.Name, t.ChangeNumber, t.Prefixes)
	}
	if tc.used == nil {
		tc.used = map[tagKey]*allowlist.TagSet{}
	}
	tc.used[k] = ts
	return ts
}

// commit keeps only the sets the last compilation used.
func (tc *TagCache) commit() { tc.sets, tc.used = tc.used, nil }

// Compile resolves every route's authorizedIPRanges against catalogs (the
// documents in force, one per configured source; nil entries are sources
// with no document yet) and returns the gateway routes, or every problem.
// A tag found in several catalogs admits the prefixes of all of them.
func (c *Config) Compile(catalogs []*servicetag.Catalog, cache *TagCache) ([]gateway.Route, error) {
	if cache == nil {
		cache = &TagCache{}
	}
	var u union
	for _, cat := range catalogs {
		if cat != nil {
			u = append(u, cat)
		}
	}
	var errs []error
	routes := make([]gateway.Route, 0, len(c.Routes))
	for i, rc := range c.Routes {
		r, err := compileRoute(rc, u, cache)
		if err != nil {
			errs = append(errs, fmt.Errorf("routes[%d] %q: %w", i, rc.Name, err))
			continue
		}
		routes = append(routes, r)
	}
	if err := errors.Join(errs...); err != nil {
		cache.used = nil
		return nil, err
	}
	cache.commit()
	return routes, nil
}

// compileRoute builds one route's allowlist and its version: a hash of the
// normalised entries and of the version of every tag they resolve to.
func compileRoute(rc RouteConfig, u union, cache *TagCache) (gateway.Route, error) {
	r := gateway.Route{Name: rc.Name, SNI: rc.SNI, Upstream: rc.Upstream}
	var b allowlist.Builder
	h := sha256.New()
	if rc.AllowAll {
		b.AllowAll()
		h.Write([]byte("allowAll"))
	} else {
		opt := rangespec.Options{Mode: rangespec.ModeStandalone}
		if len(u) > 0 {
			opt.Tags = u // nil Tags: every tag is refused as "no catalog data"
		}
		spec, err := rangespec.ParseList(rc.AuthorizedIPRanges, opt)
		if err != nil {
			return r, fmt.Errorf("authorizedIPRanges: %w", err)
		}
		for _, e := range spec.Entries {
			h.Write([]byte(e.String() + "\n"))
			if !e.IsTag() {
				b.AddPrefix(e.Prefix, e.Raw)
				r.Prefixes++
				continue
			}
			found := false
			for _, cat := range u {
				t, ok := cat.Lookup(e.Tag)
				if !ok {
					continue
				}
				found = true
				ts := cache.get(cat, t)
				b.AddTag(ts, e.Tag)
				r.Prefixes += ts.Len()
				h.Write([]byte(cat.Document().Cloud + "/" + strconv.FormatInt(t.ChangeNumber, 10) + "\n"))
			}
			if !found { // rangespec resolved it, so this is a catalog inconsistency
				return r, fmt.Errorf("service tag %q: found in no configured source", e.Tag)
			}
		}
	}
	l, err := b.Build()
	if err != nil {
		return r, fmt.Errorf("compile allowlist: %w", err)
	}
	r.Allow = l
	r.Version = hex.EncodeToString(h.Sum(nil))[:12]
	return r, nil
}
