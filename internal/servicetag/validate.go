package servicetag

import (
	"fmt"
	"strings"
)

// Validate reports every problem of a Document built by hand (Parse already
// validates): a cloud is named, the changeNumber is not negative, there is
// at least one tag, tag names are present and unique (case-insensitively),
// and every prefix is valid, canonical (host bits zero) and not an
// IPv4-mapped IPv6 prefix.
func (d *Document) Validate() error {
	var p problems
	d.validate(&p)
	return p.err("document")
}

func (d *Document) validate(p *problems) {
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
		t.validatePrefixes(p)
	}
}

func (t *Tag) validatePrefixes(p *problems) {
	for j, pfx := range t.Prefixes {
		switch {
		case !pfx.IsValid():
			p.addf("tag %q: addressPrefixes[%d] is not a valid prefix", t.Name, j)
		case pfx.Addr().Is4In6():
			p.addf("tag %q: addressPrefixes[%d] %q is an IPv4-mapped IPv6 prefix; write it as IPv4", t.Name, j, pfx.String())
		case pfx.Masked() != pfx:
			p.addf("tag %q: addressPrefixes[%d] %q has host bits set; the canonical prefix is %q", t.Name, j, pfx.String(), pfx.Masked().String())
		}
	}
}

// String summarises the document, e.g. "Public changeNumber 373 (3039 tags)".
func (d *Document) String() string {
	return fmt.Sprintf("%s changeNumber %d (%d tags)", d.Cloud, d.ChangeNumber, len(d.Tags))
}
