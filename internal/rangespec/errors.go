package rangespec

import (
	"errors"
	"fmt"
	"sort"
)

// CodeInvalidParameter is the ARM error code of every *Error but the
// preview-feature gate (CodePreviewFeatureNotRegistered,
// CodeFeatureNotEnabled): AKS answers the rules it is known to enforce
// with it, and tagwall uses it for the rules where AKS's code is unknown
// (tags, host bits). Callers that must tell the reasons apart use
// errors.Is with the sentinels below.
const CodeInvalidParameter = "InvalidParameter"

// Sentinels name the rule an *Error breaks; *Error unwraps to one of them.
// They are grouped by where the rule comes from.
var (
	// ErrEgressMixed is returned when 0.0.0.0/32 is combined with other
	// entries.
	ErrEgressMixed = errors.New("0.0.0.0/32 combined with other ranges")
	// ErrDisabledAndEnabled is returned (CLI modes) for an empty item in a
	// list of several.
	ErrDisabledAndEnabled = errors.New("empty item in a list of several")
	// ErrInvalidRange is returned for an entry that is neither an IP
	// address, a CIDR nor (where tags are allowed) a tag name.
	ErrInvalidRange = errors.New("not an IP address or CIDR")
	// ErrHostBits is returned (server, standalone) for a CIDR whose
	// address has bits set beyond the prefix length.
	ErrHostBits = errors.New("CIDR has host bits set")
	// ErrNotGlobal is returned for a private, reserved or otherwise
	// non-global range.
	ErrNotGlobal = errors.New("range is not global")
	// ErrIPv6 is returned (CLI modes) for a global IPv6 range.
	ErrIPv6 = errors.New("IPv6 range")
	// ErrEmptyEntry is returned (server, standalone) for an empty item.
	ErrEmptyEntry = errors.New("empty entry")
	// ErrTooMany is returned when the list is longer than the limit.
	ErrTooMany = errors.New("too many ranges")

	// ErrBasicLoadBalancer is returned (CLI modes) for ranges on a basic
	// load balancer.
	ErrBasicLoadBalancer = errors.New("ranges with a basic load balancer")
	// ErrPrivateCluster is returned for ranges on a private cluster.
	ErrPrivateCluster = errors.New("ranges on a private cluster")

	// ErrTagsNotEnabled is returned (server) for a tag when the
	// subscription has not registered the preview feature and then
	// re-registered the provider.
	ErrTagsNotEnabled = errors.New("service tags not enabled")
	// ErrTagWithVnetIntegration is returned (server) for a tag on a
	// cluster with API server VNet integration.
	ErrTagWithVnetIntegration = errors.New("service tag with VNet integration")
	// ErrNoCatalog is returned for a tag when no service-tag data is
	// loaded (fail closed).
	ErrNoCatalog = errors.New("no service-tag data loaded")
	// ErrUnknownTag is returned for a tag name the catalog does not know.
	ErrUnknownTag = errors.New("unknown service tag")
	// ErrExternalTagsNotEnabled is returned (server) for a tag of another
	// cloud's feed (FeedIndex) when the subscription has not registered
	// ExternalTagsFeature and then re-registered the provider.
	ErrExternalTagsNotEnabled = errors.New("other clouds' service tags not enabled")
	// ErrTooManyTags is returned (server) for every tag beyond the limit:
	// a second Azure tag, or with ExternalTagsEnabled a tag beyond
	// MaxTagsExternal.
	ErrTooManyTags = errors.New("too many service tags")
)

// Error is one rejected entry (Index -1 for a list-level rule). Message is
// the exact user-facing text; Reason is the sentinel it unwraps to.
type Error struct {
	Index   int
	Entry   string
	Code    string // ARM code, e.g. "InvalidParameter"
	Message string // the exact user-facing text
	Reason  error  // one of the Err* sentinels
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel naming the broken rule.
func (e *Error) Unwrap() error { return e.Reason }

// FirstError returns the first *Error in err: the one the API and the CLI
// show. err may be a single *Error or the errors.Join that ParseString and
// ParseList return. It returns nil when err holds no *Error.
func FirstError(err error) *Error {
	if all := Errors(err); len(all) > 0 {
		return all[0]
	}
	return nil
}

// Errors returns every *Error in err, in order, looking through wraps
// (fmt.Errorf with %w) and joins.
func Errors(err error) []*Error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		return []*Error{e}
	case interface{ Unwrap() []error }:
		var out []*Error
		for _, inner := range e.Unwrap() {
			out = append(out, Errors(inner)...)
		}
		return out
	case interface{ Unwrap() error }:
		return Errors(e.Unwrap())
	}
	return nil
}

// problems collects errors while a list is checked.
type problems []*Error

func (p *problems) add(index int, entry string, reason error, format string, args ...any) {
	p.addCode(index, entry, reason, CodeInvalidParameter, format, args...)
}

// addCode is add with an ARM code other than InvalidParameter.
func (p *problems) addCode(index int, entry string, reason error, code, format string, args ...any) {
	*p = append(*p, &Error{
		Index:   index,
		Entry:   entry,
		Code:    code,
		Message: fmt.Sprintf(format, args...),
		Reason:  reason,
	})
}

// err orders the problems by index (list-level rules, index -1, first, in
// the order they were found) and joins them.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	sort.SliceStable(p, func(i, j int) bool { return p[i].Index < p[j].Index })
	errs := make([]error, len(p))
	for i, e := range p {
		errs[i] = e
	}
	return errors.Join(errs...)
}
