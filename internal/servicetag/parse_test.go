package servicetag

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

const tinyDownload = `{
  "changeNumber": 5,
  "cloud": "Public",
  "values": [
    {"name": "AzureCloud", "id": "AzureCloud", "properties": {"changeNumber": 3, "region": "", "regionId": 0,
      "platform": "Azure", "systemService": "", "addressPrefixes": ["20.0.0.0/8", "2603:1000::/24"], "networkFeatures": ["API", "NSG"]}},
    {"name": "AzureCloud.eastus", "id": "AzureCloud.eastus", "properties": {"changeNumber": 2, "region": "eastus", "regionId": 32,
      "platform": "Azure", "systemService": "", "addressPrefixes": ["20.20.0.0/16"], "networkFeatures": ["API"]}},
    {"name": "Empty", "id": "Empty", "properties": {"changeNumber": 1, "region": "", "addressPrefixes": []}}
  ]
}`

const tinyDiscovery = `{"name": "public", "id": "/subscriptions/s/providers/Microsoft.Network/serviceTags/public",
 "type": "Microsoft.Network/serviceTags", "changeNumber": "63", "cloud": "Public",
 "values": [{"name": "ApiManagement", "id": "ApiManagement", "properties": {"changeNumber": "7", "region": "",
   "systemService": "AzureApiManagement", "addressPrefixes": ["13.64.39.16/32"]}}],
 "nextLink": null}`

// tinyDiscoveryPage is tinyDiscovery as the first page of a paged response.
var tinyDiscoveryPage = strings.Replace(tinyDiscovery, `"nextLink": null`, `"nextLink": "https://127.0.0.1/next"`, 1)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		wantFormat Format
		wantCN     int64
		wantTags   int
	}{
		{"download", tinyDownload, FormatDownload, 5, 3},
		{"download with BOM and CRLF", "\xef\xbb\xbf" + strings.ReplaceAll(tinyDownload, "\n", "\r\n"), FormatDownload, 5, 3},
		{"discovery", tinyDiscovery, FormatDiscovery, 63, 1},
		{"discovery in examples envelope", `{"parameters": {}, "responses": {"200": {"body": ` + tinyDiscovery + `}}}`, FormatDiscovery, 63, 1},
		{"tag with null prefixes", `{"changeNumber": 1, "cloud": "X", "values": [{"name": "A", "properties": {"addressPrefixes": null}}]}`, FormatDownload, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.name, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != tt.wantFormat || doc.ChangeNumber != tt.wantCN || len(doc.Tags) != tt.wantTags {
				t.Errorf("got %s format %v", doc, doc.Format)
			}
		})
	}
}

func TestParseTinyFields(t *testing.T) {
	doc, err := Parse("tiny", []byte(tinyDownload))
	if err != nil {
		t.Fatal(err)
	}
	want := Tag{
		Name: "AzureCloud.eastus", ID: "AzureCloud.eastus", ChangeNumber: 2, Region: "eastus", RegionID: 32,
		Platform: "Azure", Prefixes: []netip.Prefix{netip.MustParsePrefix("20.20.0.0/16")}, NetworkFeatures: []string{"API"},
	}
	if !reflect.DeepEqual(doc.Tags[1], want) {
		t.Errorf("tag 1 = %+v, want %+v", doc.Tags[1], want)
	}
	if doc.Tags[2].Prefixes != nil || doc.Tags[2].NetworkFeatures != nil {
		t.Errorf("empty tag = %+v, want nil slices", doc.Tags[2])
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		want   []string // substrings of the error
		wantIs error
	}{
		{"zero bytes", "", []string{`parse service tags "zero bytes"`, "empty document"}, ErrEmpty},
		{"whitespace", " \r\n", []string{"empty document"}, ErrEmpty},
		{"empty object", "{}", []string{"changeNumber is missing", "cloud is missing", "no tags"}, nil},
		{"no values", `{"changeNumber": 1, "cloud": "Public", "values": []}`, []string{"no tags"}, nil},
		{"html", "<html><head><title>500 Internal Server Error</title>", []string{"looks like HTML", "not a JSON document"}, ErrNotJSON},
		{"text list", "173.245.48.0/20\n103.21.244.0/22", []string{"not a JSON document", `"173.245.48.0/20`}, ErrNotJSON},
		{"truncated", tinyDownload[:200], []string{"invalid JSON at line", "unexpected end of JSON input"}, nil},
		{"changeNumber object", `{"changeNumber": {"x": 1}, "cloud": "Public", "values": [{"name": "A", "properties": {"addressPrefixes": ["1.0.0.0/8"]}}]}`,
			[]string{`changeNumber {"x": 1} is not an integer`}, nil},
		{"tag changeNumber bad string", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"changeNumber": "x7"}}]}`,
			[]string{`tag "A": changeNumber "x7" is not an integer`}, nil},
		{"cloud wrong type", `{"changeNumber": 1, "cloud": 7, "values": [{"name": "A"}]}`,
			[]string{"wrong type at line 1", `field "cloud" holds a JSON number`}, nil},
		{"prefixes wrong type", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": "1.0.0.0/8"}}]}`,
			[]string{`field "values.properties.addressPrefixes" holds a JSON string`}, nil},
		{"bad prefix", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": ["1.0.0.0/8", "1.2.3.4/99"]}}]}`,
			[]string{`tag "A": addressPrefixes[1] "1.2.3.4/99"`, "prefix length out of range"}, nil},
		{"host bits", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": ["137.117.106.90/29"]}}]}`,
			[]string{`tag "A": addressPrefixes[0] "137.117.106.90/29" has host bits set; the canonical prefix is "137.117.106.88/29"`}, nil},
		{"ipv4-mapped", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": ["::ffff:1.2.3.0/120"]}}]}`,
			[]string{"IPv4-mapped IPv6 prefix"}, nil},
		{"duplicate names", `{"changeNumber": 1, "cloud": "P", "values": [{"name": "AzureCloud"}, {"name": "azurecloud"}]}`,
			[]string{`tag "azurecloud" (values[1]) duplicates tag "AzureCloud" (values[0])`}, nil},
		{"unnamed tag", `{"changeNumber": 1, "cloud": "P", "values": [{"name": ""}]}`, []string{"values[0]: tag has no name"}, nil},
		{"discovery page with nextLink", tinyDiscoveryPage, []string{"one page of a paged discovery-API response", `nextLink "https://127.0.0.1/next"`, "ParsePages"}, ErrPartial},
		{"discovery page in examples envelope", `{"parameters": {}, "responses": {"200": {"body": ` + tinyDiscoveryPage + `}}}`, []string{"nextLink"}, ErrPartial},
		{"negative changeNumber", `{"changeNumber": -1, "cloud": "P", "values": [{"name": "A"}]}`, []string{"changeNumber -1 is negative"}, nil},
		{"envelope without body", `{"parameters": {}, "responses": {"404": {}}}`, []string{"no responses.200.body"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.name, []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse accepted it: %s", doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			var de *DocumentError
			if !errors.As(err, &de) || de.Name != tt.name {
				t.Errorf("error is not a *DocumentError naming %q: %#v", tt.name, err)
			}
		})
	}
}

func TestParseRejectsRealHTMLPage(t *testing.T) {
	const file = "cloudflare-ips-v4-error500-2024-10-29.html"
	_, err := Parse(file, sharedFile(t, file))
	if !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), "looks like HTML") || !strings.Contains(err.Error(), file) {
		t.Fatalf("got %v", err)
	}
}

// TestParseCollectsAllProblems checks that every bad entry is reported, up
// to the cap, and the rest is counted.
func TestParseCollectsAllProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"changeNumber": 1, "cloud": "P", "values": [{"name": "A", "properties": {"addressPrefixes": [`)
	for i := range 30 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"10.0.0.1/8"`)
	}
	b.WriteString(`]}}]}`)
	_, err := Parse("many", []byte(b.String()))
	var de *DocumentError
	if !errors.As(err, &de) {
		t.Fatalf("got %v", err)
	}
	if len(de.Problems) != maxProblems || de.Omitted != 30-maxProblems {
		t.Errorf("got %d problems, %d omitted", len(de.Problems), de.Omitted)
	}
	if !strings.Contains(err.Error(), "addressPrefixes[29]") && !strings.Contains(err.Error(), "and 10 more problems") {
		t.Errorf("error does not mention the omitted problems: %v", err)
	}
}

func TestParsePages(t *testing.T) {
	page := func(cn, name, prefix string) []byte {
		return []byte(`{"type": "Microsoft.Network/serviceTags", "changeNumber": "` + cn + `", "cloud": "Public", "values": [{"name": "` +
			name + `", "properties": {"changeNumber": "1", "addressPrefixes": ["` + prefix + `"]}}]}`)
	}
	tests := []struct {
		name     string
		pages    [][]byte
		wantTags int
		wantErr  string
	}{
		{"two pages", [][]byte{page("9", "A", "1.0.0.0/8"), page("9", "B", "2.0.0.0/8")}, 2, ""},
		{"no pages", nil, 0, "empty document"},
		{"changeNumber moved between pages", [][]byte{page("9", "A", "1.0.0.0/8"), page("10", "B", "2.0.0.0/8")}, 0, "page 2: changeNumber 10 differs from page 1's 9"},
		{"duplicate across pages", [][]byte{page("9", "A", "1.0.0.0/8"), page("9", "a", "2.0.0.0/8")}, 0, "duplicates tag"},
		{"bad second page", [][]byte{page("9", "A", "1.0.0.0/8"), []byte("<html>")}, 0, "page 2: not a JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParsePages("pages", tt.pages)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Tags) != tt.wantTags || doc.Format != FormatDiscovery {
				t.Errorf("got %s format %v", doc, doc.Format)
			}
		})
	}
}

func TestMarshalDownloadRoundTrip(t *testing.T) {
	for _, file := range []string{"azure-public-2019-07-22.json", "azure-germany-2022-03-07.json",
		"azure-discovery-api-example-ServiceTagsList-2023-09-01.json"} {
		t.Run(file, func(t *testing.T) {
			doc := sharedDoc(t, file)
			checkRoundTrip(t, doc)
		})
	}
}

// checkRoundTrip marshals doc in both formats and checks that Parse gives
// the same document back.
func checkRoundTrip(tb testing.TB, doc *Document) {
	tb.Helper()
	for _, format := range []Format{FormatDownload, FormatDiscovery} {
		var out []byte
		var err error
		if format == FormatDownload {
			out, err = MarshalDownload(doc)
		} else {
			out, err = MarshalDiscovery(doc, DiscoveryOptions{SubscriptionID: "00000000-0000-0000-0000-000000000000"})
		}
		if err != nil {
			tb.Fatal(err)
		}
		again, err := Parse("remarshalled", out)
		if err != nil {
			tb.Fatalf("re-parse %v: %v\n%s", format, err, out)
		}
		want := *doc
		want.Format = format
		if !reflect.DeepEqual(again, &want) {
			tb.Fatalf("%v round trip changed the document:\n got %+v\nwant %+v", format, again, &want)
		}
	}
}

func TestValidateHandBuilt(t *testing.T) {
	doc := &Document{Cloud: "X", Tags: []Tag{{Name: "A", Prefixes: []netip.Prefix{{}, netip.MustParsePrefix("10.1.0.0/8")}}}}
	err := doc.Validate()
	if err == nil || !strings.Contains(err.Error(), "addressPrefixes[0] is not a valid prefix") ||
		!strings.Contains(err.Error(), `"10.0.0.0/8"`) {
		t.Fatalf("got %v", err)
	}
}
