package servicetag

import "net/netip"

// Format is the layout a Document was parsed from.
type Format int

const (
	FormatDownload  Format = iota // ServiceTags_<Cloud>_<date>.json
	FormatDiscovery               // ARM serviceTags REST response
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatDownload:
		return "download"
	case FormatDiscovery:
		return "discovery"
	}
	return "unknown"
}

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
	Prefixes        []netip.Prefix // canonical, in document order; nil when empty
	NetworkFeatures []string       // nil when absent or empty
}

// PrefixCount returns the number of IPv4 and IPv6 prefixes of t.
func (t *Tag) PrefixCount() (v4, v6 int) {
	for _, p := range t.Prefixes {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

// PrefixCount returns the number of prefix entries over all tags.
func (d *Document) PrefixCount() int {
	n := 0
	for i := range d.Tags {
		n += len(d.Tags[i].Prefixes)
	}
	return n
}
