package servicetag

import (
	"slices"
	"strings"
	"testing"

	"go4.org/netipx"
	"net/netip"
)

func FuzzParseServiceTags(f *testing.F) {
	// A small valid download document (integer changeNumbers, v4 and v6).
	f.Add([]byte(tinyDownload))
	// A whole discovery-API document (string changeNumbers, nextLink null).
	f.Add([]byte(tinyDiscovery))
	// One page of a paged discovery-API answer (nextLink set): refused.
	f.Add([]byte(tinyDiscoveryPage))
	// The discovery page inside an x-ms-examples envelope.
	f.Add([]byte(`{"parameters": {}, "responses": {"200": {"body": ` + tinyDiscovery + `}}}`))
	// A UTF-8 BOM and CRLF line endings.
	f.Add([]byte("\xef\xbb\xbf" + strings.ReplaceAll(tinyDownload, "\n", "\r\n")))
	// An HTML error page served in place of the document.
	f.Add([]byte("<html>\n<head><title>500 Internal Server Error</title></head>\n</html>"))
	// A truncated document.
	f.Add([]byte(tinyDownload[:150]))
	// A prefix with host bits set and a duplicate name.
	f.Add([]byte(`{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": ["10.1.0.0/8"]}}, {"name": "a"}]}`))
	// The 2019 layout: no regionId or networkFeatures, an empty prefix list.
	f.Add([]byte(`{"changeNumber": 82, "cloud": "Public", "values": [{"name": "E", "id": "E", "properties": {"changeNumber": 1, "region": "", "platform": "Azure", "systemService": "", "addressPrefixes": []}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse("fuzz", data)
		if err != nil {
			if doc != nil {
				t.Fatalf("Parse returned a document and an error")
			}
			if !strings.HasPrefix(err.Error(), `parse service tags "fuzz": `) {
				t.Fatalf("error does not name the document: %v", err)
			}
			return
		}
		if err := doc.Validate(); err != nil {
			t.Fatalf("Parse returned a document Validate rejects: %v", err)
		}
		checkRoundTrip(t, doc)
		if d := Diff(doc, doc); !d.IsEmpty() {
			t.Fatalf("Diff(doc, doc) = %+v", d)
		}
		cat := NewCatalog(doc)
		for i := range doc.Tags {
			tag := &doc.Tags[i]
			if got, ok := cat.LookupTag(strings.ToUpper(tag.Name)); !ok || !strings.EqualFold(got, tag.Name) {
				t.Fatalf("LookupTag(%q) = %q, %v", strings.ToUpper(tag.Name), got, ok)
			}
			for _, p := range tag.Prefixes[:min(len(tag.Prefixes), 8)] {
				r := netipx.RangeOfPrefix(p)
				for _, a := range []netipx.IPRange{r} {
					for _, addr := range [...]netip.Addr{a.From(), a.To(), a.From().Prev(), a.To().Next()} {
						if got, want := cat.ContainingNames(addr), slowContaining(doc, addr); !slices.Equal(got, want) {
							t.Fatalf("ContainingNames(%v) = %v, reference %v", addr, got, want)
						}
					}
				}
			}
		}
	})
}
