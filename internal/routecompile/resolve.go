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

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
)

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

// addEntries adds l's entries to b and to h what decides the allowlist:
// each entry as given (its name in the list), its prefix or its tag
// version.
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
			*h = append(pfx.AppendTo(append(append(*h, e...), ' ')), '\n')
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
	case c.lastGood[low] != nil:
		set, use.Stale = c.lastGood[low], true
		c.unmemo(set) // its document is no longer in force: do not keep it alive
		p.res.Notes = append(p.res.Notes, vanishedNote(tags, e, set))
	default:
		p.res.Notes = append(p.res.Notes, unknownNote(tags, e))
	}
	if set == nil {
		*h = append(append(append(*h, "tag "...), e...), " none\n"...)
		p.res.Tags = append(p.res.Tags, use)
		return
	}
	use.Name, use.ChangeNumber, use.Prefixes, use.Resolved = set.set.Name(), set.set.ChangeNumber(), set.set.Len(), true
	p.res.Tags = append(p.res.Tags, use)
	p.res.Prefixes += set.set.Len()
	p.refs = append(p.refs, set)
	b.AddTag(set.set, e)
	*h = append(append(append(append(append(*h, "tag "...), e...), ' '), set.key.name...), ' ')
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
	if !rangespec.TagShaped(e) {
		return p, false, errors.New("not an address, CIDR or service tag name")
	}
	return p, false, nil
}
