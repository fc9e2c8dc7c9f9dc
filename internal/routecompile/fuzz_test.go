package routecompile_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/routecompile"
)

// FuzzCompile checks Compile against a naive reference: a list either
// fails, or admits exactly the addresses that a loop over its own
// prefixes, the resolved tag prefixes and the system range admits. The
// universe is tiny (192.0.2.0/24 and 2001:db8::/120 and their tags) so
// every address is checked.
func FuzzCompile(f *testing.F) {
	f.Add("192.0.2.0/25,Tiny")         // a prefix and a tag
	f.Add("192.0.2.7")                 // a bare address
	f.Add("tiny,2001:db8::80/121")     // case-insensitive tag, IPv6
	f.Add("0.0.0.0/32")                // egress only: the system range alone
	f.Add("192.0.2.1/24")              // host bits: an error
	f.Add("Nope,192.0.2.128/26,,x y")  // unknown tag, an empty and a bad entry
	f.Add("Other,Tiny,192.0.2.255/32") // two tags
	tiny := catalog("Public", 1,
		tag("Tiny", 3, "192.0.2.16/28", "192.0.2.200/30", "2001:db8::40/122"),
		tag("Other", 4, "192.0.2.0/31", "2001:db8::/127"))
	system := netip.MustParsePrefix("192.0.2.250/31")
	c := newCompiler(f, system.String())
	f.Fuzz(func(t *testing.T, in string) {
		entries := strings.Split(in, ",")
		res, err := c.Compile(tiny, routecompile.List{Name: "f", Entries: entries})
		if err != nil {
			return
		}
		ref := []netip.Prefix{system}
		if !(len(entries) == 1 && entries[0] == "0.0.0.0/32") {
			for _, e := range entries {
				if p, err := netip.ParsePrefix(e); err == nil {
					ref = append(ref, p)
				} else if a, err := netip.ParseAddr(e); err == nil {
					ref = append(ref, netip.PrefixFrom(a, a.BitLen()))
				} else if tg, ok := tiny.Lookup(e); ok {
					ref = append(ref, tg.Prefixes...)
				}
			}
		}
		for _, base := range []netip.Addr{netip.MustParseAddr("192.0.2.0"), netip.MustParseAddr("2001:db8::")} {
			a := base
			for range 256 {
				want := false
				for _, p := range ref {
					want = want || p.Contains(a)
				}
				if got := res.Allow.Contains(a); got != want {
					t.Fatalf("%q: Contains(%s) = %v, reference %v", in, a, got, want)
				}
				a = a.Next()
			}
		}
	})
}
