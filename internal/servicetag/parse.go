package servicetag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Parse decodes and validates a document. name (a file name or URL) is used
// in error messages only. Both the download format and the discovery-API
// format are accepted, the latter also wrapped in an x-ms-examples envelope
// ({"parameters":…,"responses":{"200":{"body":…}}}). A leading UTF-8 BOM and
// CRLF line endings are accepted. Every problem found (up to a cap) is
// reported in one *DocumentError. A discovery-API page whose nextLink is
// set is refused (ErrPartial): it is one page, not the whole document, and
// installing it would drop every tag on the other pages; merge the pages
// with ParsePages.
func Parse(name string, data []byte) (*Document, error) { return parseWith(decode, name, data) }

// parseWith is Parse with its decode step given (the tests pass the
// []string-only reference decode).
func parseWith(decode func([]byte, string, *problems) (*Document, string, bool), name string, data []byte) (*Document, error) {
	var p problems
	doc, next, ok := decode(data, "", &p)
	if ok && next != "" {
		p.addf("%w: nextLink %q is set; fetch every page and use ParsePages", ErrPartial, truncate(next, 120))
	}
	if ok {
		doc.validate(&p, false)
	}
	if err := p.err(name); err != nil {
		return nil, err
	}
	return doc, nil
}

// ParsePages parses the pages of a discovery-API response that was split
// with nextLink, merges them and validates the merged document. Every page
// must name the same cloud and top-level changeNumber.
func ParsePages(name string, pages [][]byte) (*Document, error) {
	var p problems
	if len(pages) == 0 {
		p.add(ErrEmpty)
		return nil, p.err(name)
	}
	var merged *Document
	for i, data := range pages {
		label := fmt.Sprintf("page %d: ", i+1)
		doc, _, ok := decode(data, label, &p)
		if !ok {
			continue
		}
		if merged == nil {
			merged = doc
			continue
		}
		if doc.Cloud != merged.Cloud {
			p.addf("%scloud %q differs from page 1's %q", label, doc.Cloud, merged.Cloud)
		}
		if doc.ChangeNumber != merged.ChangeNumber {
			p.addf("%schangeNumber %d differs from page 1's %d", label, doc.ChangeNumber, merged.ChangeNumber)
		}
		merged.Tags = append(merged.Tags, doc.Tags...)
	}
	if merged != nil && p.ok() {
		merged.validate(&p, false)
	}
	if err := p.err(name); err != nil {
		return nil, err
	}
	return merged, nil
}

// NextLink returns the nextLink of a discovery-API page, or "" when there is
// none or the page does not decode.
func NextLink(data []byte) string {
	var raw rawDoc[[]string]
	if json.Unmarshal(trimBOM(data), &raw) != nil {
		return ""
	}
	if raw.NextLink == "" && raw.Responses != nil {
		if body := raw.Responses["200"].Body; len(body) > 0 {
			var inner rawDoc[[]string]
			if json.Unmarshal(body, &inner) == nil {
				return inner.NextLink
			}
		}
	}
	return raw.NextLink
}

// rawDoc is the union of both formats' top level (and the examples
// envelope). L is how addressPrefixes is held: prefixArray (the array's
// bytes, parsed by tag without a string per entry) or []string (see
// decode).
type rawDoc[L prefixList] struct {
	Name         string      `json:"name"`
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	ChangeNumber flexInt     `json:"changeNumber"`
	Cloud        string      `json:"cloud"`
	Values       []rawTag[L] `json:"values"`
	NextLink     string      `json:"nextLink"`
	Responses    map[string]struct {
		Body json.RawMessage `json:"body"`
	} `json:"responses"`
}

type rawTag[L prefixList] struct {
	Name       string      `json:"name"`
	ID         string      `json:"id"`
	Properties rawProps[L] `json:"properties"`
}

type rawProps[L prefixList] struct {
	ChangeNumber    flexInt  `json:"changeNumber"`
	Region          string   `json:"region"`
	RegionID        flexInt  `json:"regionId"`
	Platform        string   `json:"platform"`
	SystemService   string   `json:"systemService"`
	AddressPrefixes L        `json:"addressPrefixes"`
	NetworkFeatures []string `json:"networkFeatures"`
}

// flexInt accepts a JSON integer or a string holding one (the discovery API
// quotes changeNumbers). Anything else is kept in bad and reported later
// with the tag's name, so one bad value does not hide the rest.
type flexInt struct {
	v      int64
	set    bool
	quoted bool
	bad    string
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	f.set = true
	s := b
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			f.bad = string(b)
			return nil
		}
		s, f.quoted = []byte(str), true
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		f.bad = truncate(string(b), 40)
		return nil
	}
	f.v = v
	return nil
}

var bom = []byte("\xef\xbb\xbf")

func trimBOM(data []byte) []byte { return bytes.TrimPrefix(data, bom) }

// decode turns data into an unvalidated Document and its nextLink, adding
// decode problems (each prefixed by label) to p. ok is false when nothing
// usable decoded.
//
// It decodes addressPrefixes arrays as prefixArray, so the 93,000 entries
// of the public document are parsed from the input's bytes instead of
// becoming strings first. When an array is anything but plain strings (an
// escape, a byte outside printable ASCII, an element of another type, not
// an array), it starts over with []string: encoding/json then decodes
// (and reports type errors) exactly as it always has, and the problems
// the first attempt added are dropped.
func decode(data []byte, label string, p *problems) (doc *Document, nextLink string, ok bool) {
	data = trimBOM(data)
	if !looksLikeJSONObject(data, label, p) {
		return nil, "", false
	}
	before := *p
	doc, nextLink, ok, err := decodeAs[prefixArray](data, label, p)
	if errors.Is(err, errNotPlain) {
		*p = before // problems only append: this forgets what the first attempt added
		doc, nextLink, ok, _ = decodeAs[[]string](data, label, p)
	}
	return doc, nextLink, ok
}

// decodeAs is decode holding addressPrefixes as L. err is errNotPlain when
// L is prefixArray and an array is not plain strings; p may then hold
// problems of this attempt.
func decodeAs[L prefixList](data []byte, label string, p *problems) (doc *Document, nextLink string, ok bool, err error) {
	var raw rawDoc[L]
	if err := json.Unmarshal(data, &raw); errors.Is(err, errNotPlain) {
		return nil, "", false, err
	} else if !decodeErrorOK(err, data, label, p) {
		return nil, "", false, nil
	}
	format := FormatDownload
	if raw.Values == nil && raw.Responses != nil {
		body := raw.Responses["200"].Body
		if len(body) == 0 {
			p.addf("%sexamples envelope has no responses.200.body", label)
			return nil, "", false, nil
		}
		raw = rawDoc[L]{}
		if err := json.Unmarshal(body, &raw); errors.Is(err, errNotPlain) {
			return nil, "", false, err
		} else if !decodeErrorOK(err, body, label+"responses.200.body: ", p) {
			return nil, "", false, nil
		}
		format = FormatDiscovery
	}
	if raw.ChangeNumber.quoted || raw.Type != "" {
		format = FormatDiscovery
	}
	return raw.document(format, label, p), raw.NextLink, true, nil
}

// looksLikeJSONObject reports whether data starts like a JSON object, adding
// a problem that says what it looks like instead.
func looksLikeJSONObject(data []byte, label string, p *problems) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		p.addf("%s%w", label, ErrEmpty)
		return false
	case trimmed[0] == '<':
		p.addf("%s%w: it looks like HTML (starts with %q), for example an error page", label, ErrNotJSON, truncate(string(trimmed), 40))
		return false
	case trimmed[0] != '{':
		p.addf("%s%w: a service-tag document is a JSON object, this starts with %q", label, ErrNotJSON, truncate(string(trimmed), 40))
		return false
	}
	return true
}

// decodeErrorOK records err from json.Unmarshal and reports whether the
// decoded value is still usable (type errors leave the rest decoded).
func decodeErrorOK(err error, data []byte, label string, p *problems) bool {
	if err == nil {
		return true
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		p.addf("%sinvalid JSON at line %d, column %d: %w", label, line, col, err)
		return false
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		p.addf("%swrong type at line %d, column %d: field %q holds a JSON %s where %s is expected", label, line, col, typ.Field, typ.Value, typ.Type)
		return true
	}
	p.addf("%sdecode JSON: %w", label, err)
	return false
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// document converts the raw form, reporting bad numbers and prefixes.
func (raw *rawDoc[L]) document(format Format, label string, p *problems) *Document {
	doc := &Document{Cloud: raw.Cloud, ChangeNumber: raw.ChangeNumber.v, Format: format}
	switch {
	case !raw.ChangeNumber.set:
		p.addf("%schangeNumber is missing", label)
	case raw.ChangeNumber.bad != "":
		p.addf("%schangeNumber %s is not an integer", label, raw.ChangeNumber.bad)
	}
	doc.Tags = make([]Tag, len(raw.Values))
	for i := range raw.Values {
		raw.Values[i].tag(&doc.Tags[i], fmt.Sprintf("%svalues[%d]", label, i), p)
	}
	return doc
}

// tag converts one raw tag into t; where locates it for messages.
func (rt *rawTag[L]) tag(t *Tag, where string, p *problems) {
	pr := &rt.Properties
	*t = Tag{
		Name:          rt.Name,
		ID:            rt.ID,
		ChangeNumber:  pr.ChangeNumber.v,
		Region:        pr.Region,
		RegionID:      int(pr.RegionID.v),
		Platform:      pr.Platform,
		SystemService: pr.SystemService,
	}
	if len(pr.NetworkFeatures) > 0 {
		t.NetworkFeatures = pr.NetworkFeatures
	}
	if rt.Name != "" {
		where = fmt.Sprintf("tag %q", rt.Name)
	}
	if pr.ChangeNumber.bad != "" {
		p.addf("%s: changeNumber %s is not an integer", where, pr.ChangeNumber.bad)
	}
	if pr.RegionID.bad != "" {
		p.addf("%s: regionId %s is not an integer", where, pr.RegionID.bad)
	}
	n := prefixCount(pr.AddressPrefixes)
	if n == 0 {
		return
	}
	t.Prefixes = make([]netip.Prefix, 0, n)
	eachPrefix(pr.AddressPrefixes, func(j int, pfx netip.Prefix, s string, err error) {
		if err != nil {
			p.addf("%s: addressPrefixes[%d] %q: %w", where, j, s, err)
			return
		}
		if checkPrefix(p, rt.Name, j, pfx) {
			t.Prefixes = append(t.Prefixes, pfx)
		}
	})
}
