package servicetag

import (
	"fmt"
	"net/netip"
	"strings"
)

// Validate reports every problem of a Document built by hand (Parse already
// validates): a cloud is named, the changeNumber is not negative, there is
// at least one tag, tag names are present and unique (case-insensitively),
// and every prefix is valid, canonical (host bits zero) and not an
// IPv4-mapped IPv6 prefix.
func (d *Document) Validate() error {
	var p problems
	d.validate(&p, true)
	return p.err("document")
}

// validate adds the document's problems to p. Parse checks prefixes while
// decoding (where it knows each entry's original index), so it passes
// checkPrefixes false.
func (d *Document) validate(p *problems, checkPrefixes bool) {
	if d.Cloud == "" {
		p.addf("cloud is missing")
	}
	if d.ChangeNumber < 0 {
		p.addf("changeNumber %d is negative", d.ChangeNumber)
	}
	if len(d.Tags) == 0 {
		p.addf("no tags: values is empty or missing")
	}
	seen := make(map[string]int, len(d.Tags))
	for i := range d.Tags {
		t := &d.Tags[i]
		if t.Name == "" {
			p.addf("values[%d]: tag has no name", i)
			continue
		}
		key := strings.ToLower(t.Name)
		if j, dup := seen[key]; dup {
			p.addf("tag %q (values[%d]) duplicates tag %q (values[%d]); names are case-insensitive", t.Name, i, d.Tags[j].Name, j)
		} else {
			seen[key] = i
		}
		if checkPrefixes {
			for j, pfx := range t.Prefixes {
				checkPrefix(p, t.Name, j, pfx)
			}
		}
	}
}

// checkPrefix reports whether pfx is valid, not IPv4-mapped and canonical,
// adding a problem naming the tag and entry when it is not.
func checkPrefix(p *problems, tag string, j int, pfx netip.Prefix) bool {
	switch {
	case !pfx.IsValid():
		p.addf("tag %q: addressPrefixes[%d] is not a valid prefix", tag, j)
	case pfx.Addr().Is4In6():
		p.addf("tag %q: addressPrefixes[%d] %q is an IPv4-mapped IPv6 prefix; write it as IPv4", tag, j, pfx.String())
	case pfx.Masked() != pfx:
		p.addf("tag %q: addressPrefixes[%d] %q has host bits set; the canonical prefix is %q", tag, j, pfx.String(), pfx.Masked().String())
	default:
		return true
	}
	return false
}

// String summarises the document, e.g. "Public changeNumber 373 (3039 tags)".
func (d *Document) String() string {
	return fmt.Sprintf("%s changeNumber %d (%d tags)", d.Cloud, d.ChangeNumber, len(d.Tags))
}
