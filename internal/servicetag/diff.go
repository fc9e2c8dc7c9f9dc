package servicetag

import (
	"net/netip"
	"slices"
	"strings"
)

// DiffResult is what changed between two documents. Slices are never nil,
// so the JSON form always has arrays.
type DiffResult struct {
	OldChangeNumber int64     `json:"oldChangeNumber"`
	NewChangeNumber int64     `json:"newChangeNumber"`
	Added           []string  `json:"added"`   // tag names, sorted
	Removed         []string  `json:"removed"` // tag names, sorted
	Changed         []TagDiff `json:"changed"` // sorted by name
}

// TagDiff is one tag whose prefix set changed.
type TagDiff struct {
	Name            string         `json:"name"`
	OldChangeNumber int64          `json:"oldChangeNumber"`
	NewChangeNumber int64          `json:"newChangeNumber"`
	AddedPrefixes   []netip.Prefix `json:"addedPrefixes"`   // sorted
	RemovedPrefixes []netip.Prefix `json:"removedPrefixes"` // sorted
}

// IsEmpty reports whether no tag was added, removed or changed (the
// top-level changeNumbers may still differ).
func (d DiffResult) IsEmpty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// PrefixCounts returns the number of prefix entries added to and removed
// from the changed tags.
func (d DiffResult) PrefixCounts() (added, removed int) {
	for _, c := range d.Changed {
		added += len(c.AddedPrefixes)
		removed += len(c.RemovedPrefixes)
	}
	return added, removed
}

// Diff compares two documents. Tags are matched by name case-insensitively
// and reported with their new spelling (old spelling for removed tags). A
// tag is changed when its set of prefixes changed; order and duplicates do
// not count. A nil document counts as empty.
func Diff(old, new *Document) DiffResult {
	if old == nil {
		old = &Document{}
	}
	if new == nil {
		new = &Document{}
	}
	r := DiffResult{
		OldChangeNumber: old.ChangeNumber,
		NewChangeNumber: new.ChangeNumber,
		Added:           []string{},
		Removed:         []string{},
		Changed:         []TagDiff{},
	}
	oldByName := make(map[string]*Tag, len(old.Tags))
	for i := range old.Tags {
		oldByName[strings.ToLower(old.Tags[i].Name)] = &old.Tags[i]
	}
	for i := range new.Tags {
		nt := &new.Tags[i]
		key := strings.ToLower(nt.Name)
		ot, ok := oldByName[key]
		if !ok {
			r.Added = append(r.Added, nt.Name)
			continue
		}
		delete(oldByName, key)
		if td, changed := diffTag(ot, nt); changed {
			r.Changed = append(r.Changed, td)
		}
	}
	for _, ot := range oldByName {
		r.Removed = append(r.Removed, ot.Name)
	}
	slices.Sort(r.Added)
	slices.Sort(r.Removed)
	slices.SortFunc(r.Changed, func(a, b TagDiff) int { return strings.Compare(a.Name, b.Name) })
	return r
}

func diffTag(ot, nt *Tag) (TagDiff, bool) {
	oldSet, newSet := sortedSet(ot.Prefixes), sortedSet(nt.Prefixes)
	td := TagDiff{
		Name:            nt.Name,
		OldChangeNumber: ot.ChangeNumber,
		NewChangeNumber: nt.ChangeNumber,
		AddedPrefixes:   []netip.Prefix{},
		RemovedPrefixes: []netip.Prefix{},
	}
	i, j := 0, 0
	for i < len(oldSet) || j < len(newSet) {
		switch {
		case j == len(newSet) || (i < len(oldSet) && comparePrefix(oldSet[i], newSet[j]) < 0):
			td.RemovedPrefixes = append(td.RemovedPrefixes, oldSet[i])
			i++
		case i == len(oldSet) || comparePrefix(oldSet[i], newSet[j]) > 0:
			td.AddedPrefixes = append(td.AddedPrefixes, newSet[j])
			j++
		default:
			i++
			j++
		}
	}
	return td, len(td.AddedPrefixes) > 0 || len(td.RemovedPrefixes) > 0
}

// sortedSet returns the prefixes sorted and without duplicates.
func sortedSet(in []netip.Prefix) []netip.Prefix {
	out := slices.Clone(in)
	slices.SortFunc(out, comparePrefix)
	return slices.Compact(out)
}

// comparePrefix orders IPv4 before IPv6, then by address, then by length.
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
