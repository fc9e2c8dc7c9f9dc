package routecompile

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// Tags resolves service-tag names to the tag version in force.
// *servicetag.Catalog and *Sources implement it.
type Tags interface {
	// Lookup finds a tag by name, case-insensitively.
	Lookup(name string) (*servicetag.Tag, bool)
}

// Shadower is implemented by a Tags that merges several sources: Shadowed
// returns a warning when name is defined by more than one source of
// different clouds ("" when it is not). Compile copies it to
// Result.Warnings.
type Shadower interface {
	Shadowed(name string) string
}

// Options configure a Compiler.
type Options struct {
	// System prefixes are admitted by every list besides its own entries
	// (the controller's SystemRanges), under the entry name "system".
	System []netip.Prefix
}

// List is one authorized-ranges list to compile.
type List struct {
	Name     string   // cluster key or route name: the state key
	Entries  []string // normalised: canonical CIDRs and tag names
	AllowAll bool     // disabled list: every address passes
}

// TagUse is how one tag entry of a list resolved.
type TagUse struct {
	Entry        string // the entry as given
	Name         string // canonical name ("" when unresolved)
	ChangeNumber int64
	Prefixes     int  // prefixes of the set admitted (0: admits nobody)
	Stale        bool // the set is the last good one: the tag vanished
	Resolved     bool // a set is admitted (current or last good)
}

// Result is one compiled list. It is immutable.
type Result struct {
	Allow    *allowlist.List
	Version  string   // changes exactly when Allow may change
	Prefixes int      // own, tag and system prefixes admitted
	Tags     []TagUse // tag entries, in order
	Notes    []string // why the list is degraded; empty: it is not
	Warnings []string // not degraded, but worth a log line (shadowed tags)
}

// Degraded reports whether the list serves stale or no data for a tag.
func (r *Result) Degraded() bool { return len(r.Notes) > 0 }

// Stats are the Compiler's counts, for metrics.
type Stats struct {
	Lists     int // lists compiled and not forgotten
	Degraded  int // of those, lists with notes
	StaleTags int // distinct tags served from their last good prefixes
	TagSets   int // compiled tag sets held (current and last good)
}

// Compiler compiles lists and holds the shared tag-set cache and each
// list's state. Use New.
type Compiler struct {
	opt Options

	mu       sync.Mutex
	sets     map[setKey]*cached
	byPtr    map[*servicetag.Tag]*cached // fingerprint memo for the data in force
	lastGood map[string]*cached          // lower-case name → last resolved set
	nameRefs map[string]int              // lower-case name → lists naming it
	lists    map[string]*listState
}

type listState struct {
	res   *Result
	refs  []*cached // sets the list's allowlist references
	names []string  // lower-case tag names the list names
}

// New returns a Compiler. The system prefixes must be valid; they are
// masked.
func New(opt Options) (*Compiler, error) {
	sys := make([]netip.Prefix, len(opt.System))
	for i, p := range opt.System {
		if !p.IsValid() {
			return nil, fmt.Errorf("new route compiler: system range %d %q is invalid", i, p.String())
		}
		sys[i] = p.Masked()
	}
	opt.System = sys
	return &Compiler{
		opt: opt, sets: map[setKey]*cached{}, byPtr: map[*servicetag.Tag]*cached{},
		lastGood: map[string]*cached{}, nameRefs: map[string]int{}, lists: map[string]*listState{},
	}, nil
}

// Compile compiles l against tags (nil: no data loaded) and records it as
// the list in force under l.Name. On error nothing is recorded.
func (c *Compiler) Compile(tags Tags, l List) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.prepare(tags, l)
	if err != nil {
		c.sweep(p.created)
		return nil, err
	}
	c.commit(p)
	return p.res, nil
}

// CompileAll compiles every list against tags and, only if all compile,
// makes them the whole set in force: lists compiled before whose names are
// absent are forgotten. On error nothing changes and every problem is
// returned, joined. Names must be unique.
func (c *Compiler) CompileAll(tags Tags, lists []List) ([]*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	var created []*cached
	ps := make([]*pending, 0, len(lists))
	seen := make(map[string]bool, len(lists))
	for _, l := range lists {
		if seen[l.Name] {
			errs = append(errs, fmt.Errorf("compile list %q: name used twice", l.Name))
			continue
		}
		seen[l.Name] = true
		p, err := c.prepare(tags, l)
		created = append(created, p.created...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, p)
	}
	if err := errors.Join(errs...); err != nil {
		c.sweep(created)
		return nil, err
	}
	out := make([]*Result, len(ps))
	for i, p := range ps {
		c.commit(p)
		out[i] = p.res
	}
	for name := range c.lists {
		if !seen[name] {
			c.forget(name)
		}
	}
	return out, nil
}

// Forget drops the list named name (a deleted cluster or route) and the
// tag sets only it used.
func (c *Compiler) Forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget(name)
}

// Stats returns the current counts.
func (c *Compiler) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Lists: len(c.lists), TagSets: len(c.sets)}
	stale := map[string]bool{}
	for _, ls := range c.lists {
		if ls.res.Degraded() {
			s.Degraded++
		}
		for _, u := range ls.res.Tags {
			if u.Stale {
				stale[strings.ToLower(u.Name)] = true
			}
		}
	}
	s.StaleTags = len(stale)
	return s
}

// TagsInUse lists, in lower case and sorted, the tag names the recorded
// lists name (resolved or not): what servicetag.SetConfig.InUse must
// protect from an update that would drop or halve them.
func (c *Compiler) TagsInUse() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.nameRefs))
	for n := range c.nameRefs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
