package routecompile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
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

// pending is a prepared, not yet recorded, compilation.
type pending struct {
	name    string
	res     *Result
	refs    []*cached
	names   []string
	good    map[string]*cached // lastGood updates: sets resolved now
	created []*cached          // sets this preparation added to the cache
}

// prepare resolves and builds l without recording it. c.mu is held.
func (c *Compiler) prepare(tags Tags, l List) (*pending, error) {
	p := &pending{name: l.Name, res: &Result{}}
	var b allowlist.Builder
	h := make([]byte, 0, 64*len(l.Entries)+64)
	if err := c.addEntries(tags, l, p, &b, &h); err != nil {
		return p, err
	}
	for _, s := range c.opt.System {
		if l.AllowAll {
			break // admits everyone already
		}
		b.AddPrefix(s, "system")
		p.res.Prefixes++
		h = s.AppendTo(append(h, "system "...))
		h = append(h, '\n')
	}
	sum := sha256.Sum256(h)
	p.res.Version = hex.EncodeToString(sum[:8])
	if prev := c.lists[l.Name]; prev != nil && prev.res.Version == p.res.Version {
		p.res.Allow = prev.res.Allow
		return p, nil
	}
	list, err := b.Build()
	if err != nil {
		return p, fmt.Errorf("compile list %q: %w", l.Name, err)
	}
	p.res.Allow = list
	return p, nil
}

// addEntries adds l's entries to b and their versions to h.
func (c *Compiler) addEntries(tags Tags, l List, p *pending, b *allowlist.Builder, h *[]byte) error {
	if l.AllowAll {
		b.AllowAll()
		*h = append(*h, "allowAll\n"...)
		return nil
	}
	if len(l.Entries) == 1 && l.Entries[0] == egressOnly {
		*h = append(*h, "egressOnly\n"...)
		return nil
	}
	var errs []error
	for _, e := range l.Entries {
		pfx, isAddr, err := parseEntry(e)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("compile list %q: entry %q: %w", l.Name, e, err))
		case isAddr:
			b.AddPrefix(pfx, e)
			p.res.Prefixes++
			*h = append(pfx.AppendTo(*h), '\n')
		default:
			c.addTag(tags, e, p, b, h)
		}
	}
	return errors.Join(errs...)
}

// addTag resolves one tag entry: the data in force, else the last good
// set, else nothing (admits nobody). Notes say which.
func (c *Compiler) addTag(tags Tags, e string, p *pending, b *allowlist.Builder, h *[]byte) {
	low := strings.ToLower(e)
	if !slices.Contains(p.names, low) {
		p.names = append(p.names, low)
	}
	use := TagUse{Entry: e}
	var set *cached
	var t *servicetag.Tag
	ok := false
	if tags != nil {
		t, ok = tags.Lookup(e)
	}
	switch {
	case ok:
		set = c.get(t, p)
		if p.good == nil {
			p.good = map[string]*cached{}
		}
		p.good[low] = set
		if sh, isSh := tags.(Shadower); isSh {
			if w := sh.Shadowed(e); w != "" {
				p.res.Warnings = append(p.res.Warnings, w)
			}
		}
	case p.good[low] != nil:
		set = p.good[low]
	case c.lastGood[low] != nil:
		set, use.Stale = c.lastGood[low], true
		p.res.Notes = append(p.res.Notes, vanishedNote(tags, e, set))
	default:
		p.res.Notes = append(p.res.Notes, unknownNote(tags, e))
	}
	if set == nil {
		*h = append(append(append(*h, "tag "...), low...), " none\n"...)
		p.res.Tags = append(p.res.Tags, use)
		return
	}
	use.Name, use.ChangeNumber, use.Prefixes, use.Resolved = set.set.Name(), set.set.ChangeNumber(), set.set.Len(), true
	p.res.Tags = append(p.res.Tags, use)
	p.res.Prefixes += set.set.Len()
	p.refs = append(p.refs, set)
	b.AddTag(set.set, e)
	*h = append(append(append(*h, "tag "...), set.key.name...), ' ')
	*h = strconv.AppendInt(*h, set.key.cn, 10)
	*h = append(hex.AppendEncode(append(*h, ' '), set.key.fp[:]), '\n')
}

func vanishedNote(tags Tags, e string, set *cached) string {
	if tags == nil {
		return fmt.Sprintf("no service-tag data is loaded: tag %q is served from its last good prefixes (changeNumber %d)",
			e, set.set.ChangeNumber())
	}
	return fmt.Sprintf("tag %q is missing from the service-tag data in force: serving its last good prefixes (changeNumber %d)",
		e, set.set.ChangeNumber())
}

func unknownNote(tags Tags, e string) string {
	if tags == nil {
		return fmt.Sprintf("no service-tag data is loaded: tag %q admits nobody", e)
	}
	return fmt.Sprintf("tag %q is not in the service-tag data: it admits nobody", e)
}

const egressOnly = "0.0.0.0/32"

// parseEntry reads a normalised entry: a canonical CIDR or bare address
// (isAddr), or a tag-shaped name.
func parseEntry(e string) (p netip.Prefix, isAddr bool, err error) {
	if strings.Contains(e, "/") {
		p, err = netip.ParsePrefix(e)
		if err != nil {
			return p, false, fmt.Errorf("not a CIDR: %w", err)
		}
		if p.Masked() != p {
			return p, false, fmt.Errorf("host bits are set (did you mean %q?)", p.Masked().String())
		}
		return p, true, nil
	}
	if a, perr := netip.ParseAddr(e); perr == nil {
		if a.Zone() != "" {
			return p, false, errors.New("an address with a zone is not a range")
		}
		return netip.PrefixFrom(a, a.BitLen()), true, nil
	}
	if !tagShaped(e) {
		return p, false, errors.New("not an address, CIDR or service tag name")
	}
	return p, false, nil
}

// tagShaped is rangespec's rule: an ASCII letter, then letters, digits,
// '.', '-' or '_'.
func tagShaped(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		b := s[i]
		if !isLetter(b) && (b < '0' || b > '9') && b != '.' && b != '-' && b != '_' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

// commit records p as the list in force. c.mu is held.
func (c *Compiler) commit(p *pending) {
	for low, set := range p.good {
		if old := c.lastGood[low]; old != set {
			set.refs++
			c.lastGood[low] = set
			if old != nil {
				c.release(old)
			}
		}
	}
	for _, s := range p.refs {
		s.refs++
	}
	for _, n := range p.names {
		c.nameRefs[n]++
	}
	old := c.lists[p.name]
	c.lists[p.name] = &listState{res: p.res, refs: p.refs, names: p.names}
	if old != nil {
		c.drop(old)
	}
	c.sweep(p.created)
}

// forget drops a list's state. c.mu is held.
func (c *Compiler) forget(name string) {
	if ls := c.lists[name]; ls != nil {
		delete(c.lists, name)
		c.drop(ls)
	}
}

// drop releases what a replaced or forgotten list held.
func (c *Compiler) drop(ls *listState) {
	for _, s := range ls.refs {
		c.release(s)
	}
	for _, n := range ls.names {
		c.nameRefs[n]--
		if c.nameRefs[n] > 0 {
			continue
		}
		delete(c.nameRefs, n)
		if lg := c.lastGood[n]; lg != nil {
			delete(c.lastGood, n)
			c.release(lg)
		}
	}
}

// String names the compiler state for debugging: lists and sets.
func (s Stats) String() string {
	return "lists " + strconv.Itoa(s.Lists) + ", degraded " + strconv.Itoa(s.Degraded) +
		", stale tags " + strconv.Itoa(s.StaleTags) + ", tag sets " + strconv.Itoa(s.TagSets)
}
