package servicetag_test

import (
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/tagwall/tagwall/internal/servicetag"
)

func Example() {
	doc, err := servicetag.Parse("ServiceTags_Public_example.json", []byte(`{
  "changeNumber": 373,
  "cloud": "Public",
  "values": [
    {"name": "AzureCloud", "id": "AzureCloud",
     "properties": {"changeNumber": 272, "region": "", "addressPrefixes": ["20.0.0.0/11", "2603:1000::/24"]}},
    {"name": "AzureCloud.eastus", "id": "AzureCloud.eastus",
     "properties": {"changeNumber": 184, "region": "eastus", "addressPrefixes": ["20.20.0.0/16"]}}
  ]
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	cat := servicetag.NewCatalog(doc)
	tag, _ := cat.Lookup("azurecloud.EastUS")
	fmt.Println(tag.Name, tag.Prefixes)
	for _, t := range cat.Containing(netip.MustParseAddr("20.20.20.20")) {
		fmt.Println("contains 20.20.20.20:", t.Name)
	}
	fmt.Println(cat.ContainingNames(netip.MustParseAddr("2603:1000::1")))
	// Output:
	// AzureCloud.eastus [20.20.0.0/16]
	// contains 20.20.20.20: AzureCloud
	// contains 20.20.20.20: AzureCloud.eastus
	// [AzureCloud]
}

func ExampleParse_invalid() {
	_, err := servicetag.Parse("tags.json", []byte(`{"changeNumber": 1, "cloud": "Public", "values": [
  {"name": "Web", "properties": {"addressPrefixes": ["137.117.106.90/29", "300.1.1.1/8"]}}]}`))
	fmt.Println(err)
	// Output:
	// parse service tags "tags.json": tag "Web": addressPrefixes[0] "137.117.106.90/29" has host bits set; the canonical prefix is "137.117.106.88/29"; tag "Web": addressPrefixes[1] "300.1.1.1/8": netip.ParsePrefix("300.1.1.1/8"): ParseAddr("300.1.1.1"): IPv4 field has value >255
}

func ExampleDiff() {
	parse := func(cn int, prefixes string) *servicetag.Document {
		doc, err := servicetag.Parse("example", fmt.Appendf(nil,
			`{"changeNumber": %d, "cloud": "Public", "values": [{"name": "AzureCloud", "properties": {"addressPrefixes": [%s]}}]}`, cn, prefixes))
		if err != nil {
			panic(err)
		}
		return doc
	}
	d := servicetag.Diff(parse(1, `"20.0.0.0/11", "40.0.0.0/8"`), parse(2, `"20.0.0.0/11", "52.0.0.0/8"`))
	for _, c := range d.Changed {
		fmt.Println(c.Name, "+", c.AddedPrefixes, "-", c.RemovedPrefixes)
	}
	// Output:
	// AzureCloud + [52.0.0.0/8] - [40.0.0.0/8]
}

// A Set with no sources uses the cloud's download page, and before any
// fetch (or offline) the snapshot compiled into the binary.
func ExampleSet_offline() {
	s, err := servicetag.NewSet(servicetag.SetConfig{Cloud: "AzureGovernment", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	_ = s.Load() // the cache (none here), else the embedded snapshot; no fetch
	st := s.Status()
	fmt.Println(st.Sources[0].Source)
	fmt.Println(st.Sources[0].InForce)
	t, _ := s.Current().Lookup("AzureCloud")
	fmt.Println(t.Name, len(t.Prefixes))
	// Output:
	// https://www.microsoft.com/en-us/download/details.aspx?id=57063
	// embedded snapshot, changeNumber 401, published 2026-07-13
	// AzureCloud 604
}
