package routecompile_test

import (
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

func tag(name string, cn int64, prefixes ...string) servicetag.Tag {
	t := servicetag.Tag{Name: name, ID: name, ChangeNumber: cn}
	for _, p := range prefixes {
		t.Prefixes = append(t.Prefixes, netip.MustParsePrefix(p))
	}
	return t
}

func catalog(cloud string, cn int64, tags ...servicetag.Tag) *servicetag.Catalog {
	return servicetag.NewCatalog(&servicetag.Document{Cloud: cloud, ChangeNumber: cn, Tags: tags})
}

func newCompiler(tb testing.TB, system ...string) *routecompile.Compiler {
	tb.Helper()
	var sys []netip.Prefix
	for _, s := range system {
		sys = append(sys, netip.MustParsePrefix(s))
	}
	c, err := routecompile.New(routecompile.Options{System: sys})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustCompile(tb testing.TB, c *routecompile.Compiler, tags routecompile.Tags, l routecompile.List) *routecompile.Result {
	tb.Helper()
	res, err := c.Compile(tags, l)
	if err != nil {
		tb.Fatalf("compile %q: %v", l.Name, err)
	}
	return res
}

var pub = catalog("Public", 1, tag("AzureCloud", 5, "20.0.0.0/11", "2603:1000::/40"), tag("Storage", 3, "52.0.0.0/8"))

func TestCompile(t *testing.T) {
	tests := []struct {
		name     string
		tags     routecompile.Tags
		list     routecompile.List
		allow    []string
		deny     []string
		prefixes int
		notes    string // substring of the joined notes; "" = not degraded
		wantErr  string
	}{
		{name: "plain", tags: pub, list: routecompile.List{Entries: []string{"20.20.20.20/32"}},
			allow: []string{"20.20.20.20", "203.0.113.9"}, deny: []string{"20.20.20.21"}, prefixes: 2},
		{name: "bare address is a host prefix", tags: pub, list: routecompile.List{Entries: []string{"20.20.20.20", "2001:db8::1"}},
			allow: []string{"20.20.20.20", "2001:db8::1"}, deny: []string{"2001:db8::2"}, prefixes: 3},
		{name: "allow all", tags: pub, list: routecompile.List{AllowAll: true}, allow: []string{"8.8.8.8", "2001:db8::1"}},
		{name: "egress only admits system ranges", tags: pub, list: routecompile.List{Entries: []string{"0.0.0.0/32"}},
			allow: []string{"203.0.113.9"}, deny: []string{"0.0.0.0", "8.8.8.8"}, prefixes: 1},
		{name: "tag and address", tags: pub, list: routecompile.List{Entries: []string{"AzureCloud", "30.30.30.30/32"}},
			allow: []string{"20.1.2.3", "2603:1000::5", "::ffff:20.1.2.3", "30.30.30.30"}, deny: []string{"8.8.8.8", "20.32.0.0"}, prefixes: 4},
		{name: "tag names match case-insensitively", tags: pub, list: routecompile.List{Entries: []string{"azurecloud"}},
			allow: []string{"20.1.2.3"}, prefixes: 3},
		{name: "unknown tag admits nobody", tags: pub, list: routecompile.List{Entries: []string{"Nope", "30.30.30.30/32"}},
			allow: []string{"30.30.30.30"}, deny: []string{"20.1.2.3"}, prefixes: 2, notes: `tag "Nope" is not in the service-tag data: it admits nobody`},
		{name: "no data admits nobody", tags: nil, list: routecompile.List{Entries: []string{"AzureCloud"}},
			deny: []string{"20.1.2.3", "8.8.8.8"}, prefixes: 1, notes: "no service-tag data is loaded"},
		{name: "host bits", tags: pub, list: routecompile.List{Entries: []string{"10.0.0.1/8"}}, wantErr: `compile list "l": entry "10.0.0.1/8": host bits are set (did you mean "10.0.0.0/8"?)`},
		{name: "not an entry", tags: pub, list: routecompile.List{Entries: []string{"1.2.3.4/33", "-x"}}, wantErr: `entry "-x": not an address`},
		{name: "zone", tags: pub, list: routecompile.List{Entries: []string{"fe80::1%eth0"}}, wantErr: "zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCompiler(t, "203.0.113.0/24")
			tt.list.Name = "l"
			res, err := c.Compile(tt.tags, tt.list)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if s := c.Stats(); s.Lists != 0 || s.TagSets != 0 {
					t.Fatalf("failed compile recorded state: %v", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.allow {
				if !res.Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s denied", a)
				}
			}
			for _, a := range tt.deny {
				if res.Allow.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s admitted", a)
				}
			}
			if res.Prefixes != tt.prefixes {
				t.Errorf("Prefixes = %d, want %d", res.Prefixes, tt.prefixes)
			}
			notes := strings.Join(res.Notes, "; ")
			if (tt.notes == "") != !res.Degraded() || !strings.Contains(notes, tt.notes) {
				t.Errorf("notes %q, want %q", notes, tt.notes)
			}
			if s := c.Stats(); s.Lists != 1 || (s.Degraded == 1) != res.Degraded() {
				t.Errorf("stats %v", s)
			}
			if len(res.Version) != 16 {
				t.Errorf("version %q", res.Version)
			}
		})
	}
}

// TestShared: lists naming the same tag version share one TagSet; the
// allowlist is reused while the version holds; Forget releases sets.
func TestShared(t *testing.T) {
	c := newCompiler(t)
	a := mustCompile(t, c, pub, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}})
	b := mustCompile(t, c, pub, routecompile.List{Name: "b", Entries: []string{"azurecloud", "1.1.1.1/32"}})
	if a.Allow.Tags()[0] != b.Allow.Tags()[0] {
		t.Fatal("AzureCloud compiled twice")
	}
	// The same version from a new catalog (new pointers) is still shared.
	pub2 := catalog("Public", 2, tag("AzureCloud", 5, "20.0.0.0/11", "2603:1000::/40"))
	a2 := mustCompile(t, c, pub2, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}})
	if a2.Allow != a.Allow || a2.Version != a.Version {
		t.Fatal("unchanged list recompiled")
	}
	// Same name and changeNumber, other prefixes (a forged or other-cloud
	// document): a different set and version.
	forged := catalog("Public", 3, tag("AzureCloud", 5, "40.0.0.0/8"))
	a3 := mustCompile(t, c, forged, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}})
	if a3.Version == a.Version || a3.Allow.Tags()[0] == a.Allow.Tags()[0] || !a3.Allow.Contains(netip.MustParseAddr("40.1.1.1")) {
		t.Fatal("content change behind the same changeNumber not noticed")
	}
	if s := c.Stats(); s.TagSets != 2 || s.Lists != 2 {
		t.Fatalf("stats %v, want 2 sets (b's and a's)", s)
	}
	c.Forget("a")
	c.Forget("b")
	if s := c.Stats(); s.TagSets != 0 || s.Lists != 0 {
		t.Fatalf("stats after Forget %v", s)
	}
}

// TestVanished: the one rule: last good prefixes, degraded, counted; a
// tag dropped from every list loses its last good set.
func TestVanished(t *testing.T) {
	c := newCompiler(t)
	mustCompile(t, c, pub, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}})
	gone := catalog("Public", 2, tag("Storage", 3, "52.0.0.0/8"))
	for i, tags := range []routecompile.Tags{gone, nil} {
		res := mustCompile(t, c, tags, routecompile.List{Name: "a", Entries: []string{"AzureCloud", "Storage"}})
		if !res.Allow.Contains(netip.MustParseAddr("20.1.1.1")) || res.Allow.Contains(netip.MustParseAddr("8.8.8.8")) {
			t.Fatal("vanished tag lost its last good prefixes or failed open")
		}
		if !res.Degraded() || !res.Tags[0].Stale || res.Tags[0].ChangeNumber != 5 || !strings.Contains(res.Notes[0], "last good prefixes (changeNumber 5)") {
			t.Fatalf("result %+v", res)
		}
		// With no data at all, Storage (resolved from gone) is stale too.
		if s := c.Stats(); s.Degraded != 1 || s.StaleTags != 1+i {
			t.Fatalf("stats %v", s)
		}
	}
	// Back in the data: no longer degraded.
	if res := mustCompile(t, c, pub, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}}); res.Degraded() {
		t.Fatal(res.Notes)
	}
	mustCompile(t, c, gone, routecompile.List{Name: "a", Entries: []string{"Storage"}})
	if res := mustCompile(t, c, gone, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}}); res.Tags[0].Resolved {
		t.Fatal("last good set kept after no list named the tag")
	}
}

func TestCompileAll(t *testing.T) {
	c := newCompiler(t)
	if _, err := c.CompileAll(pub, []routecompile.List{{Name: "a", Entries: []string{"AzureCloud"}}, {Name: "b", Entries: []string{"Storage"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CompileAll(pub, []routecompile.List{{Name: "a", Entries: []string{"1.2.3.4/8"}}, {Name: "c", Entries: []string{"AzureCloud"}}, {Name: "c"}})
	if err == nil || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `compile list "c": name used twice`) {
		t.Fatalf("error %v", err)
	}
	if s := c.Stats(); s.Lists != 2 || s.TagSets != 2 {
		t.Fatalf("failed batch changed state: %v", s)
	}
	if _, err := c.CompileAll(pub, []routecompile.List{{Name: "b", Entries: []string{"Storage"}}}); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Lists != 1 || s.TagSets != 1 {
		t.Fatalf("absent list not forgotten: %v", s)
	}
}

func TestIndex(t *testing.T) {
	c := newCompiler(t)
	if c.Index(nil) != nil {
		t.Fatal("index with no data")
	}
	mustCompile(t, c, pub, routecompile.List{Name: "a", Entries: []string{"AzureCloud"}})
	gone := catalog("Public", 2, tag("Storage", 3, "52.0.0.0/8"))
	for _, tags := range []routecompile.Tags{gone, nil} {
		ix := c.Index(tags)
		if n, ok := ix.LookupTag("azurecloud"); !ok || n != "AzureCloud" {
			t.Fatal("last good name not in the index")
		}
		if _, ok := ix.LookupTag("Nope"); ok {
			t.Fatal("unknown name in the index")
		}
	}
	if ix := c.Index(gone); len(ix.TagNames()) != 2 {
		t.Fatalf("names %v", ix.TagNames())
	}
}

// TestConcurrent is for -race: Compile, Forget and Stats from many goroutines.
func TestConcurrent(t *testing.T) {
	c := newCompiler(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + i))
			for j := range 50 {
				tags := routecompile.Tags(pub)
				if j%3 == 0 {
					tags = catalog("Public", 2, tag("Storage", 3, "52.0.0.0/8"))
				}
				if _, err := c.Compile(tags, routecompile.List{Name: name, Entries: []string{"AzureCloud", "Storage"}}); err != nil {
					t.Error(err)
				}
				_ = c.Stats()
				if j%7 == 0 {
					c.Forget(name)
				}
			}
		}()
	}
	wg.Wait()
}

// TestVersion: the version changes exactly with what the allowlist holds,
// entry names included.
func TestVersion(t *testing.T) {
	c := newCompiler(t)
	v := func(tags routecompile.Tags, entries ...string) string {
		return mustCompile(t, c, tags, routecompile.List{Name: "v", Entries: entries}).Version
	}
	base := v(pub, "AzureCloud", "20.20.20.20/32")
	tests := []struct {
		name    string
		tags    routecompile.Tags
		entries []string
		same    bool
	}{
		{name: "same list", tags: pub, entries: []string{"AzureCloud", "20.20.20.20/32"}, same: true},
		{name: "same tag version in a new catalog", tags: catalog("Public", 9, tag("AzureCloud", 5, "20.0.0.0/11", "2603:1000::/40")), entries: []string{"AzureCloud", "20.20.20.20/32"}, same: true},
		{name: "vanished: last good, same prefixes", tags: catalog("Public", 9), entries: []string{"AzureCloud", "20.20.20.20/32"}, same: true},
		{name: "entry spelled differently", tags: pub, entries: []string{"azurecloud", "20.20.20.20/32"}},
		{name: "bare address", tags: pub, entries: []string{"AzureCloud", "20.20.20.20"}},
		{name: "order", tags: pub, entries: []string{"20.20.20.20/32", "AzureCloud"}},
		{name: "new changeNumber", tags: catalog("Public", 9, tag("AzureCloud", 6, "20.0.0.0/11", "2603:1000::/40")), entries: []string{"AzureCloud", "20.20.20.20/32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v(tt.tags, tt.entries...); (got == base) != tt.same {
				t.Fatalf("version %s, base %s, want same=%v", got, base, tt.same)
			}
			v(pub, "AzureCloud", "20.20.20.20/32") // back to base
		})
	}
}
