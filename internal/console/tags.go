package console

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// Rows shown at most by the service-tag page's lists (page weight).
const (
	maxTagRows  = 100
	maxDiffRows = 100
)

type tagRow struct {
	Name, Region, SystemService string
	ChangeNumber                int64
	V4, V6                      int
	Regions                     []string // regional variants of a base tag
	Match                       string   // the most specific prefix containing the asked address
}

type diffView struct {
	Old, New                     int64
	Added, Removed               []string
	Changed                      []servicetag.TagDiff
	ChangedTotal                 int
	AddedPrefixes, RemovedPrefix int
}

type tagsView struct {
	Sources         []SourceStatus
	HaveCatalog     bool
	Cloud           string
	ChangeNumber    int64
	TagCount        int
	Query           string
	Results         []tagRow
	Matches         int
	Addr, AddrError string
	Owners          []tagRow
	AddrAsked       bool
	Diff            *diffView
	NoPrevious      bool
}

// tagsPage shows each source's status, the tag browser (q), the diff from
// the previous version and "whose address is this?" (addr).
func (c *Console) tagsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	v := tagsView{Query: strings.TrimSpace(q.Get("q")), Addr: strings.TrimSpace(q.Get("addr"))}
	var cat *servicetag.Catalog
	if c.cfg.Tags != nil {
		v.Sources = c.cfg.Tags.Status()
		cat = c.cfg.Tags.Catalog()
		if prev := c.cfg.Tags.Previous(); prev != nil && cat != nil {
			v.Diff = c.diff.get(prev, cat)
		}
	}
	v.NoPrevious = v.Diff == nil
	if cat != nil {
		doc := cat.Document()
		v.HaveCatalog, v.Cloud, v.ChangeNumber, v.TagCount = true, doc.Cloud, doc.ChangeNumber, len(doc.Tags)
		v.Results, v.Matches = browse(doc, v.Query)
	}
	if v.Addr != "" {
		v.AddrAsked = true
		a, err := netip.ParseAddr(v.Addr)
		switch {
		case err != nil:
			v.AddrError = "\"" + v.Addr + "\" is not an IP address."
		case cat != nil:
			v.Owners = owners(cat, a)
		}
	}
	c.render(w, r, s, http.StatusOK, "tags", "Service tags", "tags", v)
}

// browse returns the tags whose name or region contains every word of q
// (at most maxTagRows, by name) and how many matched.
func browse(doc *servicetag.Document, q string) ([]tagRow, int) {
	words := strings.Fields(strings.ToLower(q))
	regions := map[string][]string{}
	for i := range doc.Tags {
		t := &doc.Tags[i]
		if base, _, ok := strings.Cut(t.Name, "."); ok && t.Region != "" {
			regions[strings.ToLower(base)] = append(regions[strings.ToLower(base)], t.Region)
		}
	}
	var out []tagRow
	n := 0
	for i := range doc.Tags {
		t := &doc.Tags[i]
		hay := strings.ToLower(t.Name + " " + t.Region + " " + t.SystemService)
		if !containsAll(hay, words) {
			continue
		}
		n++
		row := rowOf(t)
		if t.Region == "" {
			row.Regions = regions[strings.ToLower(t.Name)]
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b tagRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	if len(out) > maxTagRows {
		out = out[:maxTagRows]
	}
	return out, n
}

func containsAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func rowOf(t *servicetag.Tag) tagRow {
	v4, v6 := t.PrefixCount()
	return tagRow{Name: t.Name, Region: t.Region, SystemService: t.SystemService, ChangeNumber: t.ChangeNumber, V4: v4, V6: v6}
}

// owners lists every tag containing a, with its most specific prefix
// holding a.
func owners(cat *servicetag.Catalog, a netip.Addr) []tagRow {
	ts := cat.Containing(a)
	out := make([]tagRow, 0, len(ts))
	a = a.Unmap()
	for _, t := range ts {
		row := rowOf(t)
		best := netip.Prefix{}
		for _, p := range t.Prefixes {
			if p.Contains(a) && (!best.IsValid() || p.Bits() > best.Bits()) {
				best = p
			}
		}
		if best.IsValid() {
			row.Match = best.String()
		}
		out = append(out, row)
	}
	return out
}

// diffCache holds the diff of one pair of catalogs (the previous one and
// the one in force), computed at the first view after either changed.
type diffCache struct {
	mu        sync.Mutex
	prev, cur *servicetag.Catalog
	v         *diffView
}

// get returns the diff of prev and cur, computing it when the pair is not
// the one cached. The view is shared read-only by the pages rendered from
// it.
func (d *diffCache) get(prev, cur *servicetag.Catalog) *diffView {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.v == nil || d.prev != prev || d.cur != cur {
		d.prev, d.cur, d.v = prev, cur, diffOf(prev, cur)
	}
	return d.v
}

// diffOf compares the previous catalog with the one in force.
func diffOf(prev, cur *servicetag.Catalog) *diffView {
	d := servicetag.Diff(prev.Document(), cur.Document())
	v := &diffView{Old: d.OldChangeNumber, New: d.NewChangeNumber, Added: d.Added, Removed: d.Removed,
		Changed: d.Changed, ChangedTotal: len(d.Changed)}
	v.AddedPrefixes, v.RemovedPrefix = d.PrefixCounts()
	if len(v.Changed) > maxDiffRows {
		v.Changed = v.Changed[:maxDiffRows]
	}
	if len(v.Added) > maxDiffRows {
		v.Added = v.Added[:maxDiffRows]
	}
	if len(v.Removed) > maxDiffRows {
		v.Removed = v.Removed[:maxDiffRows]
	}
	return v
}
