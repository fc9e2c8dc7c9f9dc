package routecompile

import (
	"strings"

	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// Index returns the rangespec.TagIndex that validates lists before they are
// compiled against tags: the names tags defines (suggestions come from its
// TagNames when it has one) plus the names this Compiler holds last good
// sets for, so a list naming a tag that vanished validates and compiles
// degraded instead of being refused. It returns nil (no data: every tag is
// refused) when tags is nil and no last good set is held. The index is a
// snapshot.
func (c *Compiler) Index(tags Tags) rangespec.TagIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tags == nil && len(c.lastGood) == 0 {
		return nil
	}
	ix := &index{tags: tags, good: make(map[string]string, len(c.lastGood))}
	for low, s := range c.lastGood {
		ix.good[low] = s.set.Name()
	}
	return ix
}

type index struct {
	tags Tags
	good map[string]string // lower-case → canonical, last good sets
}

func (ix *index) LookupTag(name string) (string, bool) {
	if ix.tags != nil {
		if t, ok := ix.tags.Lookup(name); ok {
			return t.Name, true
		}
	}
	canon, ok := ix.good[strings.ToLower(name)]
	return canon, ok
}

// TagNames is built when asked (only for suggestions after an unknown
// name): the names tags lists, then the last good names it lacks.
func (ix *index) TagNames() []string {
	var names []string
	if n, ok := ix.tags.(interface{ TagNames() []string }); ok {
		names = append(names, n.TagNames()...)
	}
	for low, canon := range ix.good {
		if ix.tags == nil {
			names = append(names, canon)
		} else if _, ok := ix.tags.Lookup(low); !ok {
			names = append(names, canon)
		}
	}
	return names
}

// Guards.
var (
	_ Tags               = (*servicetag.Catalog)(nil)
	_ rangespec.TagIndex = (*index)(nil)
)
