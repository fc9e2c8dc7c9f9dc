package allowlist

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Index sizes. A TagSet is compiled once and shared, so it gets the large
// index that keeps most lookups to one or two memory reads; a List's own
// ranges are few and there may be thousands of Lists, so their index grows
// with the number of ranges and stays small.
const (
	tagBuckets4    = 1 << 16 // only when the DIR table cannot be built
	tagBuckets6    = 1 << 12
	ownMinBuckets  = 16
	ownMaxBuckets  = 1 << 12
	ownBucketRatio = 16 // buckets per merged range, before rounding up
)

// matcher is the compiled form of a prefix set. v4 always holds the merged
// IPv4 ranges, and v6 (by upper halves) and wide (128-bit) the IPv6 ones,
// for Ranges and String; shape4 and shape6 say which structure answers
// lookups (see shape.go).
type matcher struct {
	shape4 uint8
	shape6 uint8
	d8     *dir4[uint8]  // shapeDir8
	d4     *dir4[uint16] // shapeDir
	v4     rangeSet[uint32]
	v6     rangeSet[uint64] // prefixes of /64 or shorter, by their upper 64 bits
	wide   wideSet          // IPv6 ranges in 128-bit form (shapeScan, shapeFlat)
	f6     flat6            // shapeFlat
}

// compile merges the collected ranges into a matcher; it sorts ks's slices
// in place. sz picks the index sizes from the number of merged ranges.
func compile(ks *keySet, sz sizing) matcher {
	var m matcher
	lo4, hi4 := ks.merge4()
	switch n := len(lo4); {
	case n == 0:
	case n == 1:
		m.shape4 = shapeOne
	case n <= scanMax:
		m.shape4 = shapeScan
	case sz.dense4 || n >= ownDirMin:
		nodes, maps := countDir4(lo4, hi4)
		if m.d8 = newDir[uint8](lo4, hi4, nodes, maps); m.d8 != nil {
			m.shape4 = shapeDir8
		} else if m.d4 = newDir[uint16](lo4, hi4, nodes, maps); m.d4 != nil {
			m.shape4 = shapeDir
		}
	}
	switch m.shape4 {
	case shapeIndex, shapeNone:
		m.v4 = newRangeSet(lo4, hi4, sz.buckets4(len(lo4)))
		if len(lo4) > 0 {
			m.shape4 = shapeIndex
		}
	default:
		m.v4 = rangeSet[uint32]{lo: lo4, hi: hi4} // kept for Ranges and String
	}
	lo6, hi6 := ks.merge6()
	loW, hiW := mergeWide(ks.loW, ks.hiW)
	switch n := len(lo6) + len(loW); {
	case n == 0:
	case len(loW) == 0 && n > scanMax:
		m.v6 = newRangeSet(lo6, hi6, sz.buckets6(len(lo6)))
		m.shape6 = shapeIndex
	default:
		// Few ranges, or prefixes longer than /64: one 128-bit structure
		// beats a 64-bit lookup followed by a 128-bit one.
		for i := range lo6 {
			loW = append(loW, u128{lo6[i], 0})
			hiW = append(hiW, u128{hi6[i], ^uint64(0)})
		}
		m.wide.lo, m.wide.hi = mergeWide(loW, hiW)
		m.shape6 = shapeScan
		if len(m.wide.lo) > scanMax6 {
			m.f6 = newFlat6(m.wide.lo, m.wide.hi)
			m.shape6 = shapeFlat
		}
	}
	if testHookShapes != nil {
		testHookShapes(shapeNames[m.shape4], shapeNames[m.shape6])
	}
	return m
}

// testHookShapes, when set by a test, is told the shapes compile chose.
var testHookShapes func(v4, v6 string)

// lastHostBits32 returns the host-part mask of a /bits IPv4 prefix.
func lastHostBits32(bits int) uint32 {
	if bits >= 32 {
		return 0
	}
	return ^uint32(0) >> bits
}

// lastHostBits64 returns the host-part mask of a /bits prefix of a 64-bit key.
func lastHostBits64(bits int) uint64 {
	if bits >= 64 {
		return 0
	}
	return ^uint64(0) >> bits
}

// sizing chooses the lookup structures of a matcher.
type sizing struct {
	dense4             bool // build a dir4 for IPv4
	buckets4, buckets6 func(ranges int) int
}

var (
	tagSizing = sizing{dense4: true, buckets4: fixedBuckets(tagBuckets4), buckets6: fixedBuckets(tagBuckets6)}
	ownSizing = sizing{buckets4: ownBuckets, buckets6: ownBuckets}
)

func fixedBuckets(n int) func(int) int { return func(int) int { return n } }

// ownBuckets sizes a List's own index: about ownBucketRatio buckets per range.
func ownBuckets(ranges int) int {
	n := ownMinBuckets
	for n < ranges*ownBucketRatio && n < ownMaxBuckets {
		n <<= 1
	}
	return n
}

// TagSet is the compiled, immutable prefix set of one service-tag version.
// It is built once and shared by every List that references it; it is safe
// for concurrent use.
type TagSet struct {
	name         string
	changeNumber int64
	prefixes     prefixList // valid, masked, normalized; in the given order
	m            matcher
}

// NewTagSet compiles prefixes (canonical, any order, overlaps allowed).
// Invalid prefixes are skipped, host bits are masked off and IPv4-mapped
// IPv6 prefixes become IPv4 prefixes; Len reports what was kept. The
// prefixes slice is not retained. Compiling AzureCloud (13,062 prefixes)
// takes well under a millisecond, once per tag version.
func NewTagSet(name string, changeNumber int64, prefixes []netip.Prefix) *TagSet {
	ks := getKeySet()
	defer putKeySet(ks)
	kept := newPrefixList(prefixes)
	for _, p := range prefixes {
		if tp, ok := toTagPrefix(p); ok {
			kept.add(tp)
			ks.add(tp)
		}
	}
	return &TagSet{
		name:         name,
		changeNumber: changeNumber,
		prefixes:     kept,
		m:            compile(ks, tagSizing),
	}
}

// Name returns the tag's name as given to NewTagSet.
func (t *TagSet) Name() string { return t.name }

// ChangeNumber returns the tag version's change number.
func (t *TagSet) ChangeNumber() int64 { return t.changeNumber }

// Len reports the number of prefixes compiled.
func (t *TagSet) Len() int { return t.prefixes.len() }

// Prefixes returns a copy of the compiled prefixes, in the order given.
func (t *TagSet) Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, t.prefixes.len())
	t.prefixes.each(func(p netip.Prefix) bool {
		out = append(out, p)
		return true
	})
	return out
}

// Ranges reports the number of merged IPv4 and IPv6 ranges.
func (t *TagSet) Ranges() (v4, v6 int) {
	return t.m.v4.len(), t.m.v6.len() + len(t.m.wide.lo)
}

// Builder collects entries; the zero value is ready to use. Mutators return
// nothing: errors pile up and Build reports them all. A Builder is not safe
// for concurrent use.
type Builder struct {
	entries []entry
	errs    []error
	all     bool
}

// entry is one item of the list: a prefix or a tag.
type entry struct {
	name   string
	prefix netip.Prefix // when tag is nil
	tag    *TagSet
}

// AddPrefix admits p; entry is the list item it came from (for Explain).
// p must be valid and canonical (no host bits set).
func (b *Builder) AddPrefix(p netip.Prefix, entry string) {
	switch {
	case !p.IsValid():
		b.errs = append(b.errs, fmt.Errorf("add prefix %q of entry %q: %w", p.String(), entry, ErrInvalidPrefix))
		return
	case p.Masked() != p:
		b.errs = append(b.errs, fmt.Errorf("add prefix %q of entry %q: %w (did you mean %q?)",
			p.String(), entry, ErrHostBits, p.Masked().String()))
		return
	}
	b.entries = append(b.entries, newPrefixEntry(UnmapPrefix(p), entry))
}

func newPrefixEntry(p netip.Prefix, name string) entry { return entry{name: name, prefix: p} }

// AddTag admits every prefix of t; entry is the list item (e.g. "AzureCloud").
// The List references t; it does not copy it.
func (b *Builder) AddTag(t *TagSet, entry string) {
	if t == nil {
		b.errs = append(b.errs, fmt.Errorf("add tag of entry %q: %w", entry, ErrNilTagSet))
		return
	}
	b.entries = append(b.entries, newTagEntry(t, entry))
}

func newTagEntry(t *TagSet, name string) entry { return entry{name: name, tag: t} }

// AllowAll makes the list admit every address (a disabled list).
func (b *Builder) AllowAll() { b.all = true }

// Build freezes what was added. It reports every invalid input at once,
// joined with errors.Join. Like netipx.IPSetBuilder it still returns the
// List of the valid inputs; a caller that must fail closed discards the
// List whenever the error is non-nil. The Builder may be reused.
func (b *Builder) Build() (*List, error) {
	l := &List{all: b.all, entries: slices.Clone(b.entries)}
	own := getKeySet()
	defer putKeySet(own)
	for _, e := range b.entries {
		if e.tag == nil {
			tp, _ := toTagPrefix(e.prefix) // valid: AddPrefix checked
			own.add(tp)
			continue
		}
		if !slices.Contains(l.tags, e.tag) {
			l.tags = append(l.tags, e.tag)
		}
	}
	l.own = compile(own, ownSizing)
	switch {
	case l.all: // lookups need no tag: the own matcher admits everything
		l.own.shape4, l.own.shape6 = shapeAll, shapeAll
	case len(l.tags) > 0:
		l.tag = l.tags[0]
		l.more = l.tags[1:]
	}
	return l, errors.Join(b.errs...)
}

// Errors returned, wrapped, by Build.
var (
	// ErrInvalidPrefix is returned when a prefix is the zero or an invalid netip.Prefix.
	ErrInvalidPrefix = errors.New("invalid prefix")
	// ErrHostBits is returned when a prefix has bits set past its length.
	ErrHostBits = errors.New("prefix has host bits set")
	// ErrNilTagSet is returned when AddTag is given a nil *TagSet.
	ErrNilTagSet = errors.New("nil tag set")
)
