package servicetag

// CONTRACT SKELETON: the exported shapes other packages compile against.
// The owner of this package replaces the bodies and may add to the API; it
// must not rename or remove what is here without telling the coordinator.

import (
	"context"
	"net/netip"
	"time"
)

// Format is the layout a Document was parsed from.
type Format int

const (
	FormatDownload  Format = iota // ServiceTags_<Cloud>_<date>.json
	FormatDiscovery               // ARM serviceTags REST response
)

// Document is one validated service-tag document.
type Document struct {
	Cloud        string
	ChangeNumber int64
	Format       Format
	Tags         []Tag // in document order
}

// Tag is one named set of prefixes.
type Tag struct {
	Name            string
	ID              string
	ChangeNumber    int64
	Region          string
	RegionID        int
	Platform        string
	SystemService   string
	Prefixes        []netip.Prefix // canonical, in document order
	NetworkFeatures []string
}

// Parse decodes and validates a document. name (a file name or URL) is used
// in error messages only.
func Parse(name string, data []byte) (*Document, error) { panic("unimplemented") }

// Catalog is an immutable, indexed view of one Document.
type Catalog struct{ doc *Document }

// NewCatalog indexes doc. doc must not be modified afterwards.
func NewCatalog(doc *Document) *Catalog { panic("unimplemented") }

// Document returns the document the catalog indexes.
func (c *Catalog) Document() *Document { return c.doc }

// Lookup finds a tag by name, case-insensitively.
func (c *Catalog) Lookup(name string) (*Tag, bool) { panic("unimplemented") }

// LookupTag returns the canonical spelling of a tag name (rangespec.TagIndex).
func (c *Catalog) LookupTag(name string) (string, bool) { panic("unimplemented") }

// TagNames lists every tag name in document order (rangespec.TagIndex).
func (c *Catalog) TagNames() []string { panic("unimplemented") }

// Containing returns every tag that contains addr, in name order.
func (c *Catalog) Containing(addr netip.Addr) []*Tag { panic("unimplemented") }

// DiffResult is what changed between two documents.
type DiffResult struct {
	OldChangeNumber int64     `json:"oldChangeNumber"`
	NewChangeNumber int64     `json:"newChangeNumber"`
	Added           []string  `json:"added"`
	Removed         []string  `json:"removed"`
	Changed         []TagDiff `json:"changed"`
}

// TagDiff is one tag whose prefixes changed.
type TagDiff struct {
	Name            string         `json:"name"`
	OldChangeNumber int64          `json:"oldChangeNumber"`
	NewChangeNumber int64          `json:"newChangeNumber"`
	AddedPrefixes   []netip.Prefix `json:"addedPrefixes"`
	RemovedPrefixes []netip.Prefix `json:"removedPrefixes"`
}

// Diff compares two documents.
func Diff(old, new *Document) DiffResult { panic("unimplemented") }

// Source fetches the raw bytes of a document.
type Source interface {
	// String names the source (a path or URL) for logs and errors.
	String() string
	// Fetch returns the document's bytes, or notModified=true when the
	// source reports that nothing changed since the last successful Fetch.
	Fetch(ctx context.Context) (data []byte, notModified bool, err error)
}

// NewSource returns a file Source for a path or an HTTP(S) Source for a URL.
func NewSource(pathOrURL string) (Source, error) { panic("unimplemented") }

// Keeper keeps the last good Catalog of a Source in force.
type Keeper struct{}

// Status reports the Keeper's state.
type Status struct {
	Source       string
	ChangeNumber int64
	LastSuccess  time.Time
	LastAttempt  time.Time
	LastError    error
}

// NewKeeper returns a Keeper with no document in force.
func NewKeeper(src Source) *Keeper { panic("unimplemented") }

// Current returns the Catalog in force, or nil when none has loaded.
func (k *Keeper) Current() *Catalog { panic("unimplemented") }

// Refresh fetches, parses and validates; on success the new document is
// put in force. A lower changeNumber than the one in force is rejected unless
// force is true. On any error the previous Catalog stays in force.
func (k *Keeper) Refresh(ctx context.Context, force bool) (changed bool, err error) {
	panic("unimplemented")
}

// Status returns the Keeper's state.
func (k *Keeper) Status() Status { panic("unimplemented") }
