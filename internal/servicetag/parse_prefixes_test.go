package servicetag

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// parseLegacy is Parse with addressPrefixes decoded as []string only (the
// decode before prefixArray), the reference Parse must agree with.
func parseLegacy(name string, data []byte) (*Document, error) {
	return parseWith(decodeLegacy, name, data)
}

// decodeLegacy is decode with addressPrefixes decoded as []string only, as
// decode did before prefixArray.
func decodeLegacy(data []byte, label string, p *problems) (doc *Document, nextLink string, ok bool) {
	data = trimBOM(data)
	if !looksLikeJSONObject(data, label, p) {
		return nil, "", false
	}
	doc, nextLink, ok, _ = decodeAs[[]string](data, label, p)
	return doc, nextLink, ok
}

// checkSameAsLegacy fails unless Parse and parseLegacy return the same
// document (Prefixes' capacity included) or the same error text.
func checkSameAsLegacy(tb testing.TB, data []byte) {
	tb.Helper()
	got, gotErr := Parse("doc", data)
	want, wantErr := parseLegacy("doc", data)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		tb.Fatalf("Parse error:\n%v\nlegacy decode:\n%v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("Parse and the legacy decode disagree:\n%+v\n%+v", got, want)
	}
	if got == nil {
		return
	}
	for i := range got.Tags {
		if g, w := cap(got.Tags[i].Prefixes), cap(want.Tags[i].Prefixes); g != w {
			tb.Fatalf("tag %q: Prefixes capacity %d, legacy %d", got.Tags[i].Name, g, w)
		}
	}
}

// TestParseMatchesLegacyRealDocuments parses every shared Azure document
// both ways.
func TestParseMatchesLegacyRealDocuments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testutil.ServiceTagsDir(t), "azure-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shared Azure documents: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			checkSameAsLegacy(t, sharedFile(t, filepath.Base(f)))
		})
	}
}

// TestParseMatchesLegacy covers the addressPrefixes shapes the plain path
// refuses (and so hands to the legacy decode) and the entries it parses
// itself.
func TestParseMatchesLegacy(t *testing.T) {
	doc := func(prefixes string) string {
		return `{"changeNumber": 1, "cloud": "Public", "values": [` +
			`{"name": "A", "properties": {"changeNumber": 1, "addressPrefixes": ["10.0.0.0/8"]}},` +
			`{"name": "B", "properties": {"changeNumber": 2, "addressPrefixes": ` + prefixes + `}}]}`
	}
	tests := []struct {
		name, prefixes string
		plain          bool // decoded as prefixArray, no second decode
	}{
		{"plain v4 and v6", `["20.1.0.0/16", "2603:1000::/40", "0.0.0.0/0", "255.255.255.255/32"]`, true},
		{"empty", `[]`, true},
		{"empty with spaces", "[ \r\n\t ]", true},
		{"null", `null`, true},
		{"spaces around elements", "[ \"1.2.3.0/24\" ,\n\"1.2.4.0/24\"\t]", true},
		{"host bits", `["10.1.0.0/8", "2603::1/16"]`, true},
		{"mapped v6", `["::ffff:10.0.0.0/104"]`, true},
		{"leading zeros", `["010.0.0.0/8", "10.0.0.0/08", "10.00.0.0/16"]`, true},
		{"bits too large", `["10.0.0.0/33", "10.0.0.0/1000", "::/129"]`, true},
		{"octet too large", `["256.0.0.0/8", "1000.0.0.0/8"]`, true},
		{"not prefixes", `["", "10.0.0.0", "/8", "10.0.0.0/", "10.0.0/8", "10.0.0.0.0/8", "+1.0.0.0/8", "1.0.0.0/-1", "fe80::%eth0/64", "x"]`, true},
		{"escaped slash", `["10.0.0.0\/8"]`, false},
		{"unicode escape", `["10.0.0.0\u002f8", "bad\u00e9"]`, false},
		{"non-ASCII", `["10.0.0.0/8", "é"]`, false},
		{"invalid UTF-8", "[\"10.0.0.0/8\xff\"]", false},
		{"number element", `["10.0.0.0/8", 5]`, false},
		{"null element", `[null, "10.0.0.0/8"]`, false},
		{"nested array", `[["10.0.0.0/8"]]`, false},
		{"a string", `"10.0.0.0/8"`, false},
		{"a number", `8`, false},
		{"an object", `{"a": "10.0.0.0/8"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(doc(tt.prefixes))
			checkSameAsLegacy(t, data)
			var raw rawDoc[prefixArray]
			err := json.Unmarshal(data, &raw)
			if plain := err == nil; plain != tt.plain {
				t.Errorf("decoded as prefixArray: %v (err %v), want %v", plain, err, tt.plain)
			}
		})
	}
}

// TestParseMatchesLegacyEnvelopes covers the examples envelope, whose body
// is decoded on its own, with an odd array in it, and a type error outside
// the arrays, whose problem must be reported once.
func TestParseMatchesLegacyEnvelopes(t *testing.T) {
	for _, data := range []string{
		`{"parameters": {}, "responses": {"200": {"body": ` + tinyDiscovery + `}}}`,
		`{"parameters": {}, "responses": {"200": {"body": ` + strings.Replace(tinyDiscovery, `"addressPrefixes": [`, `"addressPrefixes": ["1.2.3.0\/24", `, 1) + `}}}`,
		`{"parameters": 5, "name": 7, "responses": {"200": {"body": ` + strings.Replace(tinyDiscovery, `"addressPrefixes": [`, `"addressPrefixes": [1, `, 1) + `}}}`,
		`{"changeNumber": "x", "cloud": "P", "values": [{"name": 5, "properties": {"addressPrefixes": ["1.2.3.0/24", "1.2.3.0\/24"]}}]}`,
		`{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"regionId": "r", "addressPrefixes": [7]}}]}`,
	} {
		if !strings.Contains(data, "addressPrefixes") {
			t.Fatalf("test document has no addressPrefixes: %s", data)
		}
		checkSameAsLegacy(t, []byte(data))
	}
}

// TestParsePrefix4 checks the in-place IPv4 parse against
// netip.ParsePrefix on hand-picked entries (FuzzParsePrefix4 does the
// rest).
func TestParsePrefix4(t *testing.T) {
	tests := []struct {
		in   string
		want bool // parsed in place
	}{
		{"0.0.0.0/0", true},
		{"20.37.158.0/23", true},
		{"255.255.255.255/32", true},
		{"10.1.0.0/8", true}, // host bits: parsed, checkPrefix reports them
		{"1.2.3.4/33", false},
		{"256.0.0.0/8", false},
		{"01.2.3.0/24", false},
		{"1.2.3.0/024", false},
		{"1.2.3.0/00", false},
		{"1.2.3/24", false},
		{"1.2.3.0.0/24", false},
		{"1.2.3.0", false},
		{"1.2.3.0/", false},
		{"1.2.3.0/24 ", false},
		{"1.2.3.0/24/", false},
		{"1111.2.3.0/24", false},
		{"2603::/16", false},
		{"::ffff:1.2.3.0/120", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parsePrefix4([]byte(tt.in))
			if ok != tt.want {
				t.Fatalf("parsePrefix4(%q) ok = %v, want %v", tt.in, ok, tt.want)
			}
			if ok {
				want, err := netip.ParsePrefix(tt.in)
				if err != nil || got != want {
					t.Fatalf("parsePrefix4(%q) = %v; netip.ParsePrefix = %v, %v", tt.in, got, want, err)
				}
			}
		})
	}
}

// TestParseAllocations bounds what Parse allocates for the 4 MB public
// document (7.45 MB measured with the plain path, 13.2 MB before it), so
// a change that goes back to a string per prefix fails here and not only
// in BenchmarkLoadMemory's figures.
func TestParseAllocations(t *testing.T) {
	data := sharedFile(t, "azure-public-2025-10-13.json")
	var doc *Document
	allocated := allocatedBy(func() {
		var err error
		if doc, err = Parse("public", data); err != nil {
			t.Fatal(err)
		}
	})
	if limit := uint64(9 << 20); allocated > limit {
		t.Errorf("Parse allocated %.1f MiB, want at most %.1f MiB", float64(allocated)/(1<<20), float64(limit)/(1<<20))
	}
	cat := NewCatalog(doc)
	if allocated := allocatedBy(func() { cat = NewCatalog(doc) }); allocated > 1<<20 {
		t.Errorf("NewCatalog allocated %.1f MiB, want at most 1 MiB (the reverse index waits for Containing)", float64(allocated)/(1<<20))
	}
	if got := cat.ContainingNames(azureAddr); len(got) == 0 {
		t.Errorf("ContainingNames(%v) found nothing after the lazy build", azureAddr)
	}
}

// FuzzParsePrefix4 checks that parsePrefix4 parses only what
// netip.ParsePrefix accepts, to the same prefix.
func FuzzParsePrefix4(f *testing.F) {
	f.Add("20.37.158.0/23")      // canonical
	f.Add("10.1.0.0/8")          // host bits set
	f.Add("01.2.3.0/24")         // leading zero in an octet
	f.Add("1.2.3.0/08")          // leading zero in the bits
	f.Add("1.2.3.0/33")          // too many bits
	f.Add("2603:1000:4::10/127") // IPv6: left to netip
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parsePrefix4([]byte(s))
		if !ok {
			return
		}
		want, err := netip.ParsePrefix(s)
		if err != nil || got != want {
			t.Fatalf("parsePrefix4(%q) = %v; netip.ParsePrefix = %v, %v", s, got, want, err)
		}
	})
}

// FuzzParsePlainPrefixes puts fuzzed addressPrefixes values into a document
// and checks that Parse agrees with the legacy decode.
func FuzzParsePlainPrefixes(f *testing.F) {
	f.Add(`["20.1.0.0/16", "2603:1000::/40"]`) // plain
	f.Add(`["10.0.0.0\/8"]`)                   // an escape: the legacy decode
	f.Add(`[5, null]`)                         // other element types
	f.Add(`"10.0.0.0/8"`)                      // not an array
	f.Add(`["10.1.0.0/8", "x"]`)               // host bits and garbage
	f.Fuzz(func(t *testing.T, prefixes string) {
		data := `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": ` + prefixes + `}}]}`
		checkSameAsLegacy(t, []byte(data))
	})
}

// allocatedBy returns the heap bytes fn allocates (the whole process's, so
// nothing else should run meanwhile).
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
