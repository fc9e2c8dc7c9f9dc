package servicetag

import (
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/gaissmai/bart"
)

// Catalog is an immutable, indexed view of one Document. It is safe for
// concurrent use. The zero value is not usable; use NewCatalog.
type Catalog struct {
	doc    *Document
	byName map[string]int32 // lower-case name → index into doc.Tags
	names  []string         // document order

	// The reverse index, built by the first Containing or ContainingNames
	// call (reverse): the gateway and the update checks never ask, and it
	// is most of a catalog's memory (for the public document about 4.5 MB
	// kept and as much again while it is built).
	reverse  sync.Once
	byRank   []int32 // position in name order → index
	byPrefix *bart.Table[[]int32]
}

// NewCatalog indexes doc by name; the reverse index is built on first use.
// doc must not be modified afterwards. doc should be valid (as Parse
// returns it); invalid prefixes are skipped by the reverse index and, of
// duplicate names, the first tag wins Lookup.
func NewCatalog(doc *Document) *Catalog {
	c := &Catalog{
		doc:    doc,
		byName: make(map[string]int32, len(doc.Tags)),
		names:  make([]string, len(doc.Tags)),
	}
	for i := range doc.Tags {
		t := &doc.Tags[i]
		c.names[i] = t.Name
		key := strings.ToLower(t.Name)
		if _, dup := c.byName[key]; !dup {
			c.byName[key] = int32(i)
		}
	}
	return c
}

// buildReverse builds the reverse index once: byRank, and byPrefix, which
// maps every distinct prefix to the name-order ranks of the tags listing
// it, so Containing walks only the prefixes covering an address and sorts
// plain integers.
func (c *Catalog) buildReverse() {
	c.reverse.Do(func() {
		c.byPrefix = new(bart.Table[[]int32])
		c.indexPrefixes(c.rankByName())
	})
}

// prefixTag is one (prefix, tag index) pair of the reverse index.
type prefixTag struct {
	pfx netip.Prefix
	id  int32
}

// indexPrefixes inserts every distinct prefix once, with the ranks of all
// tags listing it sliced from one shared backing array.
func (c *Catalog) indexPrefixes(rank []int32) {
	pairs := make([]prefixTag, 0, c.doc.PrefixCount())
	for i := range c.doc.Tags {
		for _, p := range c.doc.Tags[i].Prefixes {
			if p.IsValid() {
				pairs = append(pairs, prefixTag{p.Masked(), rank[i]})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b prefixTag) int {
		if d := comparePrefix(a.pfx, b.pfx); d != 0 {
			return d
		}
		return int(a.id) - int(b.id)
	})
	ids := make([]int32, 0, len(pairs))
	for i := 0; i < len(pairs); {
		start := len(ids)
		j := i
		for ; j < len(pairs) && pairs[j].pfx == pairs[i].pfx; j++ {
			if n := len(ids); n == start || ids[n-1] != pairs[j].id {
				ids = append(ids, pairs[j].id)
			}
		}
		c.byPrefix.Insert(pairs[i].pfx, ids[start:len(ids):len(ids)])
		i = j
	}
}

// rankByName fills c.byRank and returns its inverse: for each tag index,
// its position in name order.
func (c *Catalog) rankByName() []int32 {
	tags := c.doc.Tags
	c.byRank = make([]int32, len(tags))
	for i := range c.byRank {
		c.byRank[i] = int32(i)
	}
	slices.SortStableFunc(c.byRank, func(a, b int32) int { return strings.Compare(tags[a].Name, tags[b].Name) })
	rank := make([]int32, len(tags))
	for pos, i := range c.byRank {
		rank[i] = int32(pos)
	}
	return rank
}

// Document returns the document the catalog indexes.
func (c *Catalog) Document() *Document { return c.doc }

// Len returns the number of tags.
func (c *Catalog) Len() int { return len(c.doc.Tags) }

// Lookup finds a tag by name, case-insensitively.
func (c *Catalog) Lookup(name string) (*Tag, bool) {
	i, ok := c.byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &c.doc.Tags[i], true
}

// LookupTag returns the canonical spelling of a tag name (rangespec.TagIndex).
func (c *Catalog) LookupTag(name string) (string, bool) {
	t, ok := c.Lookup(name)
	if !ok {
		return "", false
	}
	return t.Name, true
}

// TagFeed returns the feed of a tag of another cloud's published ranges
// ("github", "aws", …: FeedOf(tag) != FeedAzure), or "" for an Azure tag
// and an unknown name (rangespec.FeedIndex): the managed API gates the
// former behind its own preview feature.
func (c *Catalog) TagFeed(name string) string {
	t, ok := c.Lookup(name)
	if !ok {
		return ""
	}
	if f := FeedOf(t); f != FeedAzure {
		return string(f)
	}
	return ""
}

// TagNames lists every tag name in document order (rangespec.TagIndex). The
// caller must not modify the returned slice.
func (c *Catalog) TagNames() []string { return c.names }

// Containing returns every tag that contains addr, in name order. An
// IPv4-mapped IPv6 address is unmapped first; an invalid address is in no
// tag.
func (c *Catalog) Containing(addr netip.Addr) []*Tag {
	ids := c.containingIDs(addr)
	if len(ids) == 0 {
		return nil
	}
	out := make([]*Tag, len(ids))
	for i, r := range ids {
		out[i] = &c.doc.Tags[c.byRank[r]]
	}
	return out
}

// ContainingNames is Containing returning tag names.
func (c *Catalog) ContainingNames(addr netip.Addr) []string {
	ids := c.containingIDs(addr)
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, r := range ids {
		out[i] = c.doc.Tags[c.byRank[r]].Name
	}
	return out
}

// containingIDs returns the name-order ranks of the tags containing addr,
// deduplicated and sorted.
func (c *Catalog) containingIDs(addr netip.Addr) []int32 {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return nil
	}
	c.buildReverse()
	var ids []int32
	for _, v := range c.byPrefix.Supernets(netip.PrefixFrom(addr, addr.BitLen())) {
		ids = append(ids, v...)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
