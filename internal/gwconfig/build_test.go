package gwconfig

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/servicetag"
)

func fakeCatalog(cloud string, cn int64, tags ...servicetag.Tag) *servicetag.Catalog {
	return servicetag.NewCatalog(&servicetag.Document{Cloud: cloud, ChangeNumber: cn, Tags: tags})
}

func fakeTag(name string, cn int64, prefixes ...string) servicetag.Tag {
	t := servicetag.Tag{Name: name, ID: name, ChangeNumber: cn}
	for _, p := range prefixes {
		t.Prefixes = append(t.Prefixes, netip.MustParsePrefix(p))
	}
	return t
}

// TestCompileRules: the route compiler's rules as the standalone gateway
// sees them through the servicetag.Set's merged catalog: first source wins
// (no union; the Set counts shadowed tags in its Status), a vanished tag keeps its last good prefixes and
// degrades the route, and a tag never known is still an error.
func TestCompileRules(t *testing.T) {
	pub := fakeCatalog("Public", 1, fakeTag("AzureCloud", 5, "20.0.0.0/11"), fakeTag("Storage", 3, "52.0.0.0/8"))
	china := fakeCatalog("AzureChinaCloud", 1, fakeTag("AzureCloud", 9, "40.0.0.0/8"))
	gone := fakeCatalog("Public", 2, fakeTag("Storage", 3, "52.0.0.0/8"))
	c, err := Parse("c.yaml", []byte("listen: 127.0.0.1:1\nserviceTags: [{source: pub.json}, {source: china.json}]\nroutes:\n"+
		"  - {sni: a.test, upstream: 127.0.0.1:2, authorizedIPRanges: [AzureCloud, 20.20.20.20]}\n"+
		"  - {sni: b.test, upstream: 127.0.0.1:2, authorizedIPRanges: [Storage]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var cache TagCache
	steps := []struct {
		name     string
		catalogs []*servicetag.Catalog
		allow    []string // route a
		deny     []string
		note     string // substring of route a's notes ("" = none)
		degraded int
		wantErr  string
	}{
		{name: "first source wins", catalogs: []*servicetag.Catalog{pub, china},
			allow: []string{"20.1.1.1", "20.20.20.20"}, deny: []string{"40.1.1.1"}},
		{name: "order decides", catalogs: []*servicetag.Catalog{china, pub},
			allow: []string{"40.1.1.1"}, deny: []string{"20.1.1.1"}},
		{name: "one source", catalogs: []*servicetag.Catalog{pub}, allow: []string{"20.1.1.1"}, deny: []string{"40.1.1.1"}},
		{name: "vanished keeps last good", catalogs: []*servicetag.Catalog{gone},
			allow: []string{"20.1.1.1"}, deny: []string{"8.8.8.8"}, note: "serving its last good prefixes (changeNumber 5)", degraded: 1},
		{name: "back", catalogs: []*servicetag.Catalog{pub}, allow: []string{"20.1.1.1"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			routes, notes, err := c.CompileNotes(merged(t, st.catalogs...), &cache)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range st.allow {
				if !routes[0].Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s denied", a)
				}
			}
			for _, a := range st.deny {
				if routes[0].Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s admitted", a)
				}
			}
			got := strings.Join(notes["a.test"], "; ")
			if (st.note == "") != (got == "") || !strings.Contains(got, st.note) {
				t.Errorf("notes %q, want %q", got, st.note)
			}
			if s := cache.Stats(); s.Degraded != st.degraded || s.Lists != 2 {
				t.Errorf("stats %v", s)
			}
		})
	}
	// A tag no source and no last good set knows is still a config error.
	bad, _ := Parse("c.yaml", []byte("listen: 127.0.0.1:1\nroutes:\n  - {sni: a.test, upstream: 127.0.0.1:2, authorizedIPRanges: [Nope]}\n"))
	if _, err := bad.Compile(merged(t, gone), &cache); err == nil || !strings.Contains(err.Error(), "unknown service tag") {
		t.Fatalf("error %v", err)
	}
}
