package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// Principal is a signed-in caller and the subscriptions it may see: the
// API's own arm.Principal, so its Allows decides here as it does there.
type Principal = arm.Principal

// Credentials is what the sign-in form carries: an admin Token, or a
// service principal's ClientID and Secret.
type Credentials struct {
	Token            string
	ClientID, Secret string
}

// Grant is a successful sign-in: who, the bearer credential that stands
// for them (kept server-side in the session, never sent to the browser)
// and when it expires (zero: it does not).
type Grant struct {
	Principal Principal
	Bearer    string
	Expires   time.Time
}

// Auth verifies sign-ins and re-verifies a session's bearer credential on
// every request, so a deleted principal or a rotated admin token ends its
// sessions at once. r is the browser's request (its Host names the API a
// token was issued for). Errors from SignIn are shown as "sign-in failed"
// without detail; ErrBadCredentials marks the expected kind.
type Auth interface {
	SignIn(ctx context.Context, r *http.Request, c Credentials) (Grant, error)
	Verify(ctx context.Context, r *http.Request, bearer string) (Principal, error)
}

// ErrBadCredentials is returned by Auth.SignIn when the token, client id or
// secret is wrong.
var ErrBadCredentials = errors.New("credentials not accepted")

// ErrNotFound is returned by ListUpdater.SetRanges when the cluster does
// not exist.
var ErrNotFound = errors.New("cluster not found")

// Cluster is what the console shows of one managed cluster.
type Cluster struct {
	Subscription, ResourceGroup, Name string
	Location, State                   string
	Ranges                            []string        // authorized list as stored; nil or empty: feature disabled
	SystemRanges                      []string        // admitted for every cluster (the server's own egress)
	Allow                             *allowlist.List // the compiled list in force; nil: not compiled yet (fail closed)
	Degraded                          []string        // the route compiler's notes
	Server, SNI                       string          // kubeconfig server and tls-server-name
	Route                             string          // the front door's route name (Recorder key)
}

// Ref is the cluster's path key.
func (c *Cluster) Ref() Ref { return Ref{c.Subscription, c.ResourceGroup, c.Name} }

// Ref names one cluster.
type Ref struct{ Subscription, ResourceGroup, Name string }

// Matches reports whether r names c (case-insensitively, as ARM).
func (r Ref) Matches(c *Cluster) bool {
	return strings.EqualFold(r.Subscription, c.Subscription) && strings.EqualFold(r.ResourceGroup, c.ResourceGroup) &&
		strings.EqualFold(r.Name, c.Name)
}

func (r Ref) String() string { return r.Subscription + "/" + r.ResourceGroup + "/" + r.Name }

// ClusterSource lists the clusters of the subscriptions subs (nil: of
// every subscription), so a page costs a principal its own clusters, not
// the fleet's; the console filters by the principal again.
type ClusterSource interface {
	Clusters(ctx context.Context, subs []string) ([]Cluster, error)
}

// ListUpdater replaces a cluster's authorized list on behalf of the
// session's bearer credential, through the same validation as the API.
// A refusal is an *APIError whose Message is the API's text.
type ListUpdater interface {
	SetRanges(ctx context.Context, r *http.Request, bearer string, c Ref, ranges []string) error
}

// APIError is an ARM error envelope the API answered.
type APIError struct {
	Status        int
	Code, Message string
	Details       []string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// TagSource is the service-tag catalog: the catalog in force, the one it
// replaced (nil: none) and each source's status.
type TagSource interface {
	Catalog() *servicetag.Catalog
	Previous() *servicetag.Catalog
	Status() []SourceStatus
}

// SourceStatus is one service-tag source's state.
type SourceStatus struct {
	Source       string
	Origin       string // live, cache, embedded, …
	InForce      string // human description of the document in force
	Cloud        string
	ChangeNumber int64
	Tags         int
	Held         string // "" when nothing is held; else what is held and why
	LastFetch    time.Time
	LastSuccess  time.Time
	NextFetch    time.Time
	Error        string
}

// Entry is one item of a cluster's list with what it resolves to.
type Entry struct {
	Text         string
	Tag          bool
	Resolved     bool  // a tag in the compiled list (false: unresolved, admits nobody)
	ChangeNumber int64 // the tag's
	Prefixes     int   // 1 for an address or CIDR
}

// Entries resolves a cluster's list against its compiled allowlist: a tag
// entry gets the compiled tag set's prefix count and changeNumber.
func Entries(c *Cluster) []Entry {
	var tags []*allowlist.TagSet
	if c.Allow != nil {
		tags = c.Allow.Tags()
	}
	out := make([]Entry, 0, len(c.Ranges))
	for _, r := range c.Ranges {
		if _, err := netip.ParsePrefix(r); err == nil {
			out = append(out, Entry{Text: r, Resolved: true, Prefixes: 1})
			continue
		}
		if _, err := netip.ParseAddr(r); err == nil {
			out = append(out, Entry{Text: r, Resolved: true, Prefixes: 1})
			continue
		}
		e := Entry{Text: r, Tag: true}
		for _, t := range tags {
			if strings.EqualFold(t.Name(), r) {
				e.Resolved, e.ChangeNumber, e.Prefixes = true, t.ChangeNumber(), t.Len()
				break
			}
		}
		out = append(out, e)
	}
	return out
}
