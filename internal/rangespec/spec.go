package rangespec

import "net/netip"

// Mode selects which of the four rule sets applies.
type Mode int

const (
	ModeCLI        Mode = iota // core az client check
	ModePreviewCLI             // aks-preview client check
	ModeServer                 // managed API (authoritative)
	ModeStandalone             // standalone gateway config
)

// String names the mode for logs and test names.
func (m Mode) String() string {
	switch m {
	case ModeCLI:
		return "cli"
	case ModePreviewCLI:
		return "preview-cli"
	case ModeServer:
		return "server"
	case ModeStandalone:
		return "standalone"
	}
	return "mode(?)"
}

// Limits on the number of entries (list items as given, a tag counting as
// one).
const (
	MaxEntries           = 200     // ModeServer (AKS)
	MaxEntriesVnet       = 2000    // ModeServer with VnetIntegration (AKS)
	MaxEntriesStandalone = 100_000 // ModeStandalone: a sanity cap only
	// MaxTagsExternal is how many distinct tags a ModeServer list may name
	// once ExternalTagsEnabled; without it the limit is AKS's one tag.
	MaxTagsExternal = 4
)

// TagIndex resolves service-tag names. *servicetag.Catalog implements it.
type TagIndex interface {
	LookupTag(name string) (canonical string, ok bool)
	TagNames() []string
}

// FeedIndex is implemented by a TagIndex that holds tags of other clouds'
// published ranges besides Azure's service tags (*servicetag.Catalog).
// TagFeed returns the feed of a non-Azure tag ("github", "aws", …) and ""
// for an Azure tag or an unknown name. An index without it holds Azure's
// tags only.
type FeedIndex interface {
	TagFeed(name string) string
}

// Options carry the context a list is checked in.
type Options struct {
	Mode            Mode
	VnetIntegration bool   // limit 2,000 instead of 200; no tag (server)
	PrivateCluster  bool   // ranges refused
	LoadBalancerSKU string // CLI modes: "basic" refused
	// ServiceTagsEnabled reports that the subscription may use tags
	// (feature Registered and provider re-registered). Server mode only.
	ServiceTagsEnabled bool
	// ExternalTagsEnabled reports that the subscription may use tags of
	// other clouds' feeds (ExternalTagsFeature Registered and the provider
	// re-registered): a list may then name up to MaxTagsExternal tags, of
	// which still at most one Azure tag. Server mode only.
	ExternalTagsEnabled bool
	// ExternalFeatureRegistered is FeatureRegistered for
	// ExternalTagsFeature. Server mode only.
	ExternalFeatureRegistered bool
	// FeatureRegistered reports, when ServiceTagsEnabled is false, that
	// the flag is Registered but the provider was not registered again
	// since: the refusal is then AKS's older "is not enabled" BadRequest
	// instead of PreviewFeatureNotRegistered. Server mode only.
	FeatureRegistered bool
	// TagsWithVnetIntegration follows the newer AKS (2026-03, Azure/AKS
	// PR #5659): a tag is allowed with VnetIntegration (limit 2,000).
	// false keeps the 2024 preview's refusal. Server mode only.
	TagsWithVnetIntegration bool
	// Tags resolves names in ModeServer and ModeStandalone. nil means no
	// catalog is loaded: every tag entry is refused.
	Tags TagIndex
	// Field names the list in server and standalone messages, as in
	// `authorizedIPRanges[1] "10.0.0.0/8": …`. Empty means
	// "authorizedIPRanges" (the ARM property and the standalone YAML key).
	Field string
}

func (o Options) field() string {
	if o.Field != "" {
		return o.Field
	}
	return "authorizedIPRanges"
}

// Spec is a validated list. The zero Spec is an empty, enabled list, which
// no parse returns: an empty list parses as Disabled.
type Spec struct {
	// Disabled is true for "" or an empty list: every client is allowed.
	Disabled bool
	// EgressOnly is true for exactly ["0.0.0.0/32"]: only the cluster's own
	// egress (system) ranges pass. Entries then holds that one entry.
	EgressOnly bool
	Entries    []Entry
}

// Entry is one validated item.
type Entry struct {
	Raw    string       // as given, trimmed
	Prefix netip.Prefix // valid for address entries (bare IPs as /32, /128)
	Tag    string       // canonical tag name for tag entries (CLI modes: as given)
}

// IsTag reports whether the entry names a service tag.
func (e Entry) IsTag() bool { return e.Tag != "" }

// String is the entry's normalised form: the prefix, or the tag name.
func (e Entry) String() string {
	if e.IsTag() {
		return e.Tag
	}
	return e.Prefix.String()
}

// Strings returns the normalised entries, the form the API stores.
func (s Spec) Strings() []string {
	out := make([]string, len(s.Entries))
	for i, e := range s.Entries {
		out[i] = e.String()
	}
	return out
}

// Raws returns the entries as given (trimmed): what az sends on the wire,
// since the CLI validators check items but send them unchanged.
func (s Spec) Raws() []string {
	out := make([]string, len(s.Entries))
	for i, e := range s.Entries {
		out[i] = e.Raw
	}
	return out
}

// Tags returns the tag names the list references, in order.
func (s Spec) Tags() []string {
	var out []string
	for _, e := range s.Entries {
		if e.IsTag() {
			out = append(out, e.Tag)
		}
	}
	return out
}

// Equal reports whether s and t mean the same list: same flags and the same
// normalised entries in the same order (Raw is ignored).
func (s Spec) Equal(t Spec) bool {
	if s.Disabled != t.Disabled || s.EgressOnly != t.EgressOnly || len(s.Entries) != len(t.Entries) {
		return false
	}
	for i := range s.Entries {
		a, b := s.Entries[i], t.Entries[i]
		if a.Tag != b.Tag || a.Prefix != b.Prefix {
			return false
		}
	}
	return true
}
