package rangespec

// CONTRACT SKELETON: the exported shapes other packages compile against.
// The owner of this package replaces the bodies and may add to the API.

import "net/netip"

// Mode selects which of the four rule sets applies.
type Mode int

const (
	ModeCLI        Mode = iota // core az client check
	ModePreviewCLI             // aks-preview client check
	ModeServer                 // managed API (authoritative)
	ModeStandalone             // standalone gateway config
)

// TagIndex resolves service-tag names. *servicetag.Catalog implements it.
type TagIndex interface {
	LookupTag(name string) (canonical string, ok bool)
	TagNames() []string
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
	// Tags resolves names in ModeServer and ModeStandalone. nil means no
	// catalog is loaded: every tag entry is refused.
	Tags TagIndex
}

// Spec is a validated list.
type Spec struct {
	// Disabled is true for "" or an empty list: every client is allowed.
	Disabled bool
	// EgressOnly is true for exactly ["0.0.0.0/32"]: only the cluster's own
	// egress (system) ranges pass.
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

// Error is one rejected entry (Index -1 for a list-level rule).
type Error struct {
	Index   int
	Entry   string
	Code    string // ARM code, e.g. "InvalidParameter"
	Message string // the exact user-facing text
}

func (e *Error) Error() string { return e.Message }

// ParseString parses the CLI form: one string split on ",".
func ParseString(s string, opt Options) (Spec, error) { panic("unimplemented") }

// ParseList parses the ARM array form.
func ParseList(items []string, opt Options) (Spec, error) { panic("unimplemented") }
