package routecompile

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// Source is one configured service-tag source and its catalog in force
// (nil: no document yet).
type Source struct {
	Name    string // the source's location, for messages
	Catalog *servicetag.Catalog
}

// Sources is the Tags view of several sources under the one multi-source
// rule: a name resolves in the first source, in the given order, that
// defines it, and only that source's prefixes are admitted. It is
// immutable and safe for concurrent use.
type Sources struct {
	srcs      []Source
	namesOnce sync.Once
	names     []string // built on first TagNames (suggestions only)
}

// NewSources returns the view of srcs in priority order; sources with no
// catalog are skipped.
func NewSources(srcs ...Source) *Sources {
	s := &Sources{}
	for _, src := range srcs {
		if src.Catalog != nil {
			s.srcs = append(s.srcs, src)
		}
	}
	return s
}

// Len returns the number of sources with a catalog.
func (s *Sources) Len() int { return len(s.srcs) }

// Lookup finds name in the first source that defines it.
func (s *Sources) Lookup(name string) (*servicetag.Tag, bool) {
	for _, src := range s.srcs {
		if t, ok := src.Catalog.Lookup(name); ok {
			return t, true
		}
	}
	return nil, false
}

// LookupTag returns the canonical spelling of name (rangespec.TagIndex).
func (s *Sources) LookupTag(name string) (string, bool) {
	t, ok := s.Lookup(name)
	if !ok {
		return "", false
	}
	return t.Name, true
}

// TagNames lists every name any source defines, once, in source then
// document order (rangespec.TagIndex). The caller must not modify it.
func (s *Sources) TagNames() []string {
	s.namesOnce.Do(func() {
		if len(s.srcs) == 1 {
			s.names = s.srcs[0].Catalog.TagNames()
			return
		}
		seen := map[string]bool{}
		for _, src := range s.srcs {
			for _, n := range src.Catalog.TagNames() {
				if k := strings.ToLower(n); !seen[k] {
					seen[k] = true
					s.names = append(s.names, n)
				}
			}
		}
	})
	return s.names
}

// Shadowed reports a name defined by the winning source and by a later
// source of another cloud, whose prefixes are therefore not admitted ("":
// no such conflict).
func (s *Sources) Shadowed(name string) string {
	win := -1
	for i, src := range s.srcs {
		if _, ok := src.Catalog.Lookup(name); !ok {
			continue
		}
		if win < 0 {
			win = i
			continue
		}
		if a, b := cloud(s.srcs[win]), cloud(src); a != b {
			return fmt.Sprintf("service tag %q is defined by source %q (cloud %s) and by source %q (cloud %s): only the first one's prefixes are admitted",
				name, s.srcs[win].Name, a, src.Name, b)
		}
	}
	return ""
}

func cloud(s Source) string {
	if d := s.Catalog.Document(); d != nil {
		return d.Cloud
	}
	return ""
}
