package rangespec_test

import (
	"fmt"
	"testing"

	"github.com/tagwall/tagwall/internal/rangespec"
)

// The API runs ParseList once per PUT; these bound its cost on the common
// shapes and on the error path that computes suggestions over the real
// catalog (~3,000 names).
func BenchmarkParse(b *testing.B) {
	cat := realCatalog(b)
	server := rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: true, Tags: cat}
	list200 := make([]string, 200)
	for i := range list200 {
		list200[i] = fmt.Sprintf("20.%d.%d.0/24", i/250, i%250)
	}
	b.Run("server/tag+ip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rangespec.ParseString("AzureCloud,20.20.20.20", server); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("server/200", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rangespec.ParseList(list200, server); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cli/200", func(b *testing.B) {
		b.ReportAllocs()
		cli := rangespec.Options{Mode: rangespec.ModeCLI}
		for b.Loop() {
			if _, err := rangespec.ParseList(list200, cli); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("server/unknown-tag-suggestions", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rangespec.ParseString("AzureCloud.estus", server); err == nil {
				b.Fatal("no error")
			}
		}
	})
}
