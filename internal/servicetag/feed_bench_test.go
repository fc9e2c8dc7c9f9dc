package servicetag

import (
	"encoding/json"
	"testing"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// BenchmarkParseFeed measures ParseFeed (detection, decode, validation) of
// each real feed document, and for AWS also the whole load: parse, index
// (NewCatalog, the reverse index `servicetags lookup` uses) and compile
// every tag into an allowlist.TagSet as a route compiler would.
func BenchmarkParseFeed(b *testing.B) {
	for _, tt := range []struct{ name, file string }{
		{"aws", "aws-ip-ranges-2025-07-24T07-33-30.json"},
		{"github", "github-meta-2025-07-21.json"},
		{"googlecloud", "google-cloud-2025-07-24.json"},
		{"oracle", "oracle-public-ip-ranges-2025-07-21.json"},
	} {
		data := sharedFile(b, tt.file)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseFeed("bench", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseAWS is the figure: the AWS document (13,342
// entries, 9,065 distinct prefixes, 612 tags) parsed and indexed, that is
// compiled into the allowlist.TagSet of its largest tag (AWS, every
// prefix), as a route naming it is compiled. The target is at most 50 ms.
// encoding-json is the plain decode the fast reader replaces; catalog adds
// the reverse index of `servicetags lookup`; compile-all-tags compiles
// all 612 tags, which no route does at once.
func BenchmarkParseAWS(b *testing.B) {
	data := sharedFile(b, "aws-ip-ranges-2025-07-24T07-33-30.json")
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := ParseAWS("bench", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+compile-AWS", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := ParseAWS("bench", data)
			if err != nil {
				b.Fatal(err)
			}
			allowlist.NewTagSet(doc.Tags[0].Name, doc.Tags[0].ChangeNumber, doc.Tags[0].Prefixes)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var raw awsDoc
			if err := json.Unmarshal(data, &raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+catalog", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := ParseAWS("bench", data)
			if err != nil {
				b.Fatal(err)
			}
			NewCatalog(doc)
		}
	})
	b.Run("parse+catalog+compile-all-tags", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := ParseAWS("bench", data)
			if err != nil {
				b.Fatal(err)
			}
			NewCatalog(doc)
			for i := range doc.Tags {
				allowlist.NewTagSet(doc.Tags[i].Name, doc.Tags[i].ChangeNumber, doc.Tags[i].Prefixes)
			}
		}
	})
	doc, err := ParseAWS("bench", data)
	if err != nil {
		b.Fatal(err)
	}
	all := &doc.Tags[0] // AWS: every prefix
	b.Run("compile-AWS-tag", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			allowlist.NewTagSet(all.Name, all.ChangeNumber, all.Prefixes)
		}
	})
}
