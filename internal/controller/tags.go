package controller

import (
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/servicetag"
)

type tagKey struct {
	name string // lower case
	cn   int64
}

// tagCache shares compiled tag sets per (tag, changeNumber) and remembers
// each tag's last good set for when it vanishes from the catalog.
type tagCache struct {
	sets     map[tagKey]*allowlist.TagSet
	lastGood map[string]*allowlist.TagSet
}

func newTagCache() tagCache {
	return tagCache{sets: map[tagKey]*allowlist.TagSet{}, lastGood: map[string]*allowlist.TagSet{}}
}

// resolution is how one tag entry resolved.
type resolution struct {
	set  *allowlist.TagSet // nil: the tag admits nobody
	name string            // canonical name when known
	cn   int64
	note string // why the cluster is degraded ("" if it is not)
}

// resolve finds the tag's set in cat (nil: no catalog). It never returns
// an admit-all answer: unresolvable tags admit nobody.
func (t *tagCache) resolve(cat *servicetag.Catalog, name string) resolution {
	low := strings.ToLower(name)
	if cat == nil {
		return resolution{name: name, note: fmt.Sprintf("no service-tag data is loaded: tag %q admits nobody", name)}
	}
	tag, ok := cat.Lookup(name)
	if !ok {
		if lg := t.lastGood[low]; lg != nil {
			return resolution{set: lg, name: lg.Name(), cn: lg.ChangeNumber(), note: fmt.Sprintf(
				"tag %q is missing from the service-tag data (changeNumber %d): serving its last good prefixes (changeNumber %d)",
				name, docChange(cat), lg.ChangeNumber())}
		}
		return resolution{name: name, note: fmt.Sprintf("tag %q is not in the service-tag data: it admits nobody", name)}
	}
	k := tagKey{strings.ToLower(tag.Name), tag.ChangeNumber}
	set := t.sets[k]
	if set == nil {
		set = allowlist.NewTagSet(tag.Name, tag.ChangeNumber, tag.Prefixes)
		t.sets[k] = set
	}
	t.lastGood[k.name] = set
	return resolution{set: set, name: tag.Name, cn: tag.ChangeNumber}
}

func docChange(cat *servicetag.Catalog) int64 {
	if d := cat.Document(); d != nil {
		return d.ChangeNumber
	}
	return 0
}

// prune drops compiled sets no route uses any more (last good sets stay).
func (t *tagCache) prune(used map[tagKey]bool) {
	for k := range t.sets {
		if !used[k] {
			delete(t.sets, k)
		}
	}
}
