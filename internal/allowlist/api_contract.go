package allowlist

// CONTRACT SKELETON: the exported shapes other packages compile against.
// The owner of this package replaces the bodies and may add to the API.

import "net/netip"

// TagSet is the compiled, immutable prefix set of one service-tag version.
type TagSet struct{}

// NewTagSet compiles prefixes (canonical, any order, overlaps allowed).
func NewTagSet(name string, changeNumber int64, prefixes []netip.Prefix) *TagSet {
	panic("unimplemented")
}

func (t *TagSet) Name() string                { panic("unimplemented") }
func (t *TagSet) ChangeNumber() int64         { panic("unimplemented") }
func (t *TagSet) Len() int                    { panic("unimplemented") } // prefixes compiled
func (t *TagSet) Contains(a netip.Addr) bool  { panic("unimplemented") }

// Builder collects entries; the zero value is ready to use.
type Builder struct{}

// AddPrefix admits p; entry is the list item it came from (for Explain).
func (b *Builder) AddPrefix(p netip.Prefix, entry string) { panic("unimplemented") }

// AddTag admits every prefix of t; entry is the list item (e.g. "AzureCloud").
func (b *Builder) AddTag(t *TagSet, entry string) { panic("unimplemented") }

// AllowAll makes the list admit every address (a disabled list).
func (b *Builder) AllowAll() { panic("unimplemented") }

// Build freezes what was added. It reports every invalid input at once.
func (b *Builder) Build() (*List, error) { panic("unimplemented") }

// List is an immutable matcher. The zero value and nil admit nothing.
type List struct{}

// Contains reports whether a is admitted. It does not allocate.
func (l *List) Contains(a netip.Addr) bool { panic("unimplemented") }

// Decision explains one answer.
type Decision struct {
	Allowed bool
	Entry   string       // the list item that admitted the address
	Tag     string       // the tag name when Entry is a tag
	Prefix  netip.Prefix // the matching prefix (the tag's prefix for tags)
	Reason  string       // human-readable: "matched 20.20.20.20/32", "not in any entry", "list disabled"
}

// Explain returns the decision for a and the entry that decided it.
func (l *List) Explain(a netip.Addr) Decision { panic("unimplemented") }
