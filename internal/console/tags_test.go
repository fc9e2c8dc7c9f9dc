package console

import (
	"net/netip"
	"testing"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// TestDiffCache: the service-tag page computes a diff once per pair of
// catalogs, and again when either changes.
func TestDiffCache(t *testing.T) {
	cat := func(n int64, prefixes ...string) *servicetag.Catalog {
		tag := servicetag.Tag{Name: "AzureCloud", ID: "AzureCloud", ChangeNumber: n}
		for _, p := range prefixes {
			tag.Prefixes = append(tag.Prefixes, netip.MustParsePrefix(p))
		}
		return servicetag.NewCatalog(&servicetag.Document{Cloud: "Public", ChangeNumber: n, Tags: []servicetag.Tag{tag}})
	}
	a, b, c := cat(1, "20.0.0.0/24"), cat(2, "20.0.0.0/24", "20.0.1.0/24"), cat(3, "20.0.1.0/24")
	var d diffCache
	v1 := d.get(a, b)
	if v1.Old != 1 || v1.New != 2 || v1.AddedPrefixes != 1 || v1.RemovedPrefix != 0 {
		t.Fatalf("diff a→b %+v", v1)
	}
	if v := d.get(a, b); v != v1 {
		t.Fatal("same pair: diff computed again")
	}
	v2 := d.get(b, c)
	if v2 == v1 || v2.Old != 2 || v2.New != 3 || v2.RemovedPrefix != 1 {
		t.Fatalf("new pair: %+v", v2)
	}
}
