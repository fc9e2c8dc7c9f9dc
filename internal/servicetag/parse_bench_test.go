package servicetag

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// plainDoc is the simple struct the encoding-json baseline decodes into.
type plainDoc struct {
	ChangeNumber int64  `json:"changeNumber"`
	Cloud        string `json:"cloud"`
	Values       []struct {
		Name       string `json:"name"`
		ID         string `json:"id"`
		Properties struct {
			ChangeNumber    int64    `json:"changeNumber"`
			Region          string   `json:"region"`
			RegionID        int      `json:"regionId"`
			Platform        string   `json:"platform"`
			SystemService   string   `json:"systemService"`
			AddressPrefixes []string `json:"addressPrefixes"`
			NetworkFeatures []string `json:"networkFeatures"`
		} `json:"properties"`
	} `json:"values"`
}

// azureAddr is an address of AzureCloud in the public document.
var azureAddr = netip.MustParseAddr("20.1.1.1")

// BenchmarkParse compares Parse + validation + NewCatalog of the 4 MB
// public document with a plain encoding/json decode of the same bytes.
func BenchmarkParse(b *testing.B) {
	data := sharedFile(b, "azure-public-2025-10-13.json")
	b.Run("public-2025-10-13", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			doc, err := Parse("bench", data)
			if err != nil {
				b.Fatal(err)
			}
			_ = NewCatalog(doc).Containing(azureAddr) // builds the reverse index
		}
	})
	b.Run("parse-only", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Parse("bench", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var d plainDoc
			if err := json.Unmarshal(data, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkContaining measures the reverse lookup on the public document
// for addresses inside AzureCloud (hit) and outside every tag (miss).
func BenchmarkContaining(b *testing.B) {
	cat := NewCatalog(sharedDoc(b, "azure-public-2025-10-13.json"))
	rng := rand.New(rand.NewPCG(3, 4))
	azure, _ := cat.Lookup("AzureCloud")
	var hit4, hit6 []netip.Addr
	for _, p := range azure.Prefixes {
		if p.Addr().Is4() {
			hit4 = append(hit4, p.Addr().Next())
		} else {
			hit6 = append(hit6, p.Addr().Next())
		}
	}
	rng.Shuffle(len(hit4), func(i, j int) { hit4[i], hit4[j] = hit4[j], hit4[i] })
	rng.Shuffle(len(hit6), func(i, j int) { hit6[i], hit6[j] = hit6[j], hit6[i] })
	cases := []struct {
		name  string
		addrs []netip.Addr
	}{
		{"hit-v4", hit4[:1024]},
		{"hit-v6", hit6[:1024]},
		{"miss-v4", []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.168.1.1")}},
		{"miss-v6", []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fd00::1")}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = cat.Containing(c.addrs[i%len(c.addrs)])
				i++
			}
		})
	}
	b.Run("scan-reference-v4", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = slowContaining(cat.Document(), hit4[i%len(hit4)])
			i++
		}
	})
}
