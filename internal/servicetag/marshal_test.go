package servicetag

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// pageLink is the nextLink builder of the golden tests (the API server's
// shape: the changeNumber guards against mixing versions).
func pageLink(cn int64) func(int) string {
	return func(next int) string {
		return "https://127.0.0.1/subscriptions/sub/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2023-09-01&changenumber=" +
			strconv.FormatInt(cn, 10) + "&$top=2&$skipToken=" + strconv.Itoa(next)
	}
}

// TestMarshalDiscoveryGolden pins the one discovery-API encoder's output:
// the whole document (nextLink null) and $top-style pages.
func TestMarshalDiscoveryGolden(t *testing.T) {
	doc, err := Parse("tiny", []byte(tinyDownload))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opt      DiscoveryOptions
		wantTags int
		wantNext bool
	}{
		{name: "whole", opt: DiscoveryOptions{SubscriptionID: "sub"}, wantTags: 3},
		{name: "top2-page1", opt: DiscoveryOptions{SubscriptionID: "sub", Top: 2, NextLink: pageLink(doc.ChangeNumber)}, wantTags: 2, wantNext: true},
		{name: "top2-page2", opt: DiscoveryOptions{SubscriptionID: "sub", Skip: 2, Top: 2, NextLink: pageLink(doc.ChangeNumber)}, wantTags: 1},
		{name: "skip-past-end", opt: DiscoveryOptions{SubscriptionID: "sub", Skip: 9, Top: 2}, wantTags: 0},
		{name: "top-larger-than-document", opt: DiscoveryOptions{SubscriptionID: "sub", Top: 500}, wantTags: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := MarshalDiscovery(doc, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "discovery", tt.name+".golden"), out)
			if got := NextLink(out) != ""; got != tt.wantNext {
				t.Errorf("nextLink set = %v, want %v", got, tt.wantNext)
			}
			if n := strings.Count(string(out), `"serviceTagChangeNumber"`); n != tt.wantTags {
				t.Errorf("%d tags written, want %d", n, tt.wantTags)
			}
		})
	}
}

// TestMarshalDiscoveryPagesMerge checks that paging at any size and
// merging with ParsePages gives the whole document back, and that Parse
// refuses every page but the last.
func TestMarshalDiscoveryPagesMerge(t *testing.T) {
	doc := sharedDoc(t, "azure-government-2026-07-13.json")
	for _, top := range []int{1, 7, 100, 298, 299, 300} {
		t.Run(strconv.Itoa(top), func(t *testing.T) {
			var pages [][]byte
			for skip := 0; ; {
				out, err := MarshalDiscovery(doc, DiscoveryOptions{SubscriptionID: "s", Skip: skip, Top: top, NextLink: func(n int) string { return "https://x/?$skipToken=" + strconv.Itoa(n) }})
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, out)
				next := NextLink(out)
				if next == "" {
					break
				}
				if _, err := Parse("page", out); err == nil {
					t.Fatalf("Parse accepted page %d with nextLink set", len(pages))
				}
				skip, _ = strconv.Atoi(next[strings.LastIndex(next, "=")+1:])
			}
			if want := (len(doc.Tags) + top - 1) / top; len(pages) != want {
				t.Fatalf("%d pages, want %d", len(pages), want)
			}
			merged, err := ParsePages("pages", pages)
			if err != nil {
				t.Fatal(err)
			}
			want := *doc
			want.Format = FormatDiscovery
			if !reflect.DeepEqual(merged, &want) {
				t.Fatalf("merged pages differ from the document")
			}
		})
	}
}

func TestMarshalDiscoveryNeedsNextLink(t *testing.T) {
	doc, _ := Parse("tiny", []byte(tinyDownload))
	_, err := MarshalDiscovery(doc, DiscoveryOptions{Top: 1})
	if err == nil || !strings.Contains(err.Error(), "no NextLink") {
		t.Fatalf("got %v", err)
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	got = append(bytes.TrimRight(got, "\n"), '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s (run with -update if intended):\n got %s\nwant %s", path, got, want)
	}
}
