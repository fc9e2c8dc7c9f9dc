package servicetag

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// FuzzSetOffer offers arbitrary bytes to a Set whose document in force is
// Public changeNumber 5 with AzureCloud (10 prefixes) and checks the update
// rule's promises: whatever comes, AzureCloud keeps at least half its
// prefixes, the cloud stays Public and the changeNumber never goes back on
// one fetch.
func FuzzSetOffer(f *testing.F) {
	base := map[string]int{"AzureCloud": 10, "Used": 2}
	// The same document again.
	f.Add(tinyDoc(f, "Public", 5, base))
	// A newer document that passes.
	f.Add(tinyDoc(f, "Public", 6, map[string]int{"AzureCloud": 10, "Used": 2, "New": 1}))
	// The wedge: inflated changeNumber, no AzureCloud.
	f.Add(tinyDoc(f, "Public", 1373, map[string]int{"Used": 2}))
	// AzureCloud shrunk to 4 of 10.
	f.Add(tinyDoc(f, "Public", 6, map[string]int{"AzureCloud": 4}))
	// Another cloud.
	f.Add(tinyDoc(f, "China", 6, base))
	// A regression.
	f.Add(tinyDoc(f, "Public", 4, base))
	// A discovery page with nextLink, an HTML page and nothing.
	f.Add([]byte(tinyDiscoveryPage))
	f.Add([]byte("<html>500</html>"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &seqSource{}
		log, _ := testLog()
		s, err := NewSet(SetConfig{Sources: []SourceConfig{{Location: "fuzz", Source: src}}, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		src.push(fetchResult{data: tinyDoc(t, "Public", 5, base)})
		src.push(fetchResult{data: data})
		ctx := context.Background()
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = s.Refresh(ctx)
		doc := s.Current().Document()
		ac, ok := s.Current().Lookup("AzureCloud")
		if !ok {
			t.Fatalf("AzureCloud gone (err %v)", err)
		}
		if lost, total := lostPrefixes(tinyTag(t, base), ac.Prefixes); lost*2 > total {
			t.Fatalf("AzureCloud lost %d of %d prefixes", lost, total)
		}
		switch {
		case !strings.EqualFold(doc.Cloud, "Public"):
			t.Fatalf("cloud %q installed", doc.Cloud)
		case doc.ChangeNumber < 5:
			t.Fatalf("changeNumber went back to %d", doc.ChangeNumber)
		}
	})
}

// tinyTag returns AzureCloud's prefixes in tinyDoc(base).
func tinyTag(tb testing.TB, base map[string]int) []netip.Prefix {
	tb.Helper()
	d, err := Parse("base", tinyDoc(tb, "Public", 5, base))
	if err != nil {
		tb.Fatal(err)
	}
	t, _ := NewCatalog(d).Lookup("AzureCloud")
	return t.Prefixes
}

// FuzzParsePages splits a document's tags into pages at fuzzed sizes and
// checks that ParsePages of the pages equals Parse of the whole.
func FuzzParsePages(f *testing.F) {
	// One tag per page.
	f.Add(uint8(1))
	// Two per page.
	f.Add(uint8(2))
	// All in one page.
	f.Add(uint8(200))
	whole, err := Parse("tiny", []byte(tinyDownload))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, top uint8) {
		if top == 0 {
			return
		}
		var pages [][]byte
		for skip := 0; ; skip += int(top) {
			out, err := MarshalDiscovery(whole, DiscoveryOptions{Skip: skip, Top: int(top), NextLink: func(int) string { return "https://x/next" }})
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, out)
			if NextLink(out) == "" {
				break
			}
		}
		merged, err := ParsePages("pages", pages)
		if err != nil {
			t.Fatal(err)
		}
		if len(merged.Tags) != len(whole.Tags) || merged.ChangeNumber != whole.ChangeNumber || merged.Cloud != whole.Cloud {
			t.Fatalf("merged %s, whole %s", merged, whole)
		}
	})
}
