package servicetag

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"go4.org/netipx"

	"github.com/tagwall/tagwall/internal/rangespec"
)

// *Catalog resolves tag names for rangespec.
var _ rangespec.TagIndex = (*Catalog)(nil)

// slowContaining is the reference for Containing: a scan of every prefix
// of every tag.
func slowContaining(doc *Document, addr netip.Addr) []string {
	addr = addr.Unmap()
	var out []string
	for i := range doc.Tags {
		for _, p := range doc.Tags[i].Prefixes {
			if p.Contains(addr) {
				out = append(out, doc.Tags[i].Name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestCatalogLookup(t *testing.T) {
	cat := NewCatalog(sharedDoc(t, "azure-public-2025-10-13.json"))
	tests := []struct {
		name, query, want string
		found             bool
	}{
		{"exact", "AzureCloud", "AzureCloud", true},
		{"lower", "azurecloud", "AzureCloud", true},
		{"mixed regional", "azurecloud.EastUS", "AzureCloud.eastus", true},
		{"unknown", "AzureCloudy", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cat.LookupTag(tt.query)
			if got != tt.want || ok != tt.found {
				t.Errorf("LookupTag(%q) = %q, %v; want %q, %v", tt.query, got, ok, tt.want, tt.found)
			}
			tag, ok := cat.Lookup(tt.query)
			if ok != tt.found || (ok && tag.Name != tt.want) {
				t.Errorf("Lookup(%q) = %v, %v", tt.query, tag, ok)
			}
		})
	}
	names := cat.TagNames()
	if len(names) != 3039 || names[0] != "ActionGroup" {
		t.Errorf("TagNames: %d names, first %q", len(names), names[0])
	}
}

func TestContainingExamples(t *testing.T) {
	cat := NewCatalog(sharedDoc(t, "azure-public-2025-10-13.json"))
	tests := []struct {
		name     string
		addr     string
		wantHas  []string
		wantNone bool
	}{
		{"eastus v4", "20.42.0.1", []string{"AzureCloud", "AzureCloud.eastus"}, false},
		{"mapped v4 is unmapped", "::ffff:20.42.0.1", []string{"AzureCloud", "AzureCloud.eastus"}, false},
		{"loopback", "127.0.0.1", nil, true},
		{"documentation v6", "2001:db8::1", nil, true},
		{"invalid", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr netip.Addr
			if tt.addr != "" {
				addr = netip.MustParseAddr(tt.addr)
			}
			got := cat.ContainingNames(addr)
			if tt.wantNone != (len(got) == 0) {
				t.Fatalf("ContainingNames(%v) = %v", addr, got)
			}
			for _, w := range tt.wantHas {
				if !slices.Contains(got, w) {
					t.Errorf("ContainingNames(%v) = %v, missing %q", addr, got, w)
				}
			}
			if !slices.Equal(got, slowContaining(cat.Document(), addr)) {
				t.Errorf("ContainingNames(%v) = %v, reference %v", addr, got, slowContaining(cat.Document(), addr))
			}
			tags := cat.Containing(addr)
			for i, tag := range tags {
				if tag.Name != got[i] {
					t.Errorf("Containing[%d] = %q, ContainingNames %q", i, tag.Name, got[i])
				}
			}
		})
	}
}

// TestContainingAgreesWithScan compares the index with the scan on every
// prefix's first and last address (and their neighbours) of small
// documents, and on sampled addresses of the large public one.
func TestContainingAgreesWithScan(t *testing.T) {
	tests := []struct {
		name, file string
		sample     int // prefixes to probe; 0 means all
		random     int // uniformly random addresses per family
	}{
		{"germany every prefix", "azure-germany-2022-03-07.json", 0, 2000},
		{"china sampled", "azure-china-2026-07-13.json", 300, 300},
		{"public sampled", "azure-public-2025-10-13.json", 40, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sharedDoc(t, tt.file)
			cat := NewCatalog(doc)
			rng := rand.New(rand.NewPCG(1, 2))
			for _, addr := range probeAddrs(doc, rng, tt.sample, tt.random) {
				got, want := cat.ContainingNames(addr), slowContaining(doc, addr)
				if !slices.Equal(got, want) {
					t.Fatalf("ContainingNames(%v) = %v, reference %v", addr, got, want)
				}
			}
		})
	}
}

// probeAddrs returns the first and last address of sampled prefixes, their
// outside neighbours, and random v4 and v6 addresses.
func probeAddrs(doc *Document, rng *rand.Rand, sample, random int) []netip.Addr {
	var all []netip.Prefix
	for i := range doc.Tags {
		all = append(all, doc.Tags[i].Prefixes...)
	}
	if sample > 0 && sample < len(all) {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		all = all[:sample]
	}
	var out []netip.Addr
	for _, p := range all {
		r := netipx.RangeOfPrefix(p)
		out = append(out, r.From(), r.To(), r.From().Prev(), r.To().Next())
	}
	for range random {
		var b4 [4]byte
		var b16 [16]byte
		for i := range b4 {
			b4[i] = byte(rng.Uint32())
		}
		for i := range b16 {
			b16[i] = byte(rng.Uint32())
		}
		b16[0] = 0x20 // global unicast, where Azure's v6 lives
		out = append(out, netip.AddrFrom4(b4), netip.AddrFrom16(b16))
	}
	return out
}

// TestContainingTinyUniverse enumerates every address of a /24 and a /120
// against overlapping tags.
func TestContainingTinyUniverse(t *testing.T) {
	mk := func(name string, ps ...string) Tag {
		tag := Tag{Name: name}
		for _, p := range ps {
			tag.Prefixes = append(tag.Prefixes, netip.MustParsePrefix(p))
		}
		return tag
	}
	doc := &Document{Cloud: "T", ChangeNumber: 1, Tags: []Tag{
		mk("b", "10.0.0.0/24", "2001:db8::/120"),
		mk("A", "10.0.0.0/25", "10.0.0.128/26", "2001:db8::80/121"),
		mk("c", "10.0.0.7/32", "10.0.0.0/30", "10.0.0.0/29", "2001:db8::7/128"),
		mk("d", "10.0.0.7/32", "10.0.0.7/32"), // listed twice
		mk("empty"),
	}}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(doc)
	for _, base := range []string{"10.0.0.0", "2001:db8::"} {
		a := netip.MustParseAddr(base)
		for range 256 {
			got, want := cat.ContainingNames(a), slowContaining(doc, a)
			if !slices.Equal(got, want) {
				t.Fatalf("ContainingNames(%v) = %v, reference %v", a, got, want)
			}
			a = a.Next()
		}
	}
	if got := strings.Join(cat.ContainingNames(netip.MustParseAddr("10.0.0.7")), ","); got != "A,b,c,d" {
		t.Errorf("ContainingNames(10.0.0.7) = %s, want A,b,c,d (name order)", got)
	}
}
