package allowlist

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestShapes checks which matcher shape compile picks for each size and
// kind of input, and that each shape agrees with the reference, alone and
// behind a tag (which takes List.contains4's branch-free and inlined paths).
func TestShapes(t *testing.T) {
	v4 := func(r *rand.Rand, n int) []netip.Prefix { return familyPrefixes(r, n, false, 0) }
	v6 := func(r *rand.Rand, n int) []netip.Prefix { return familyPrefixes(r, n, true, 64) }
	wide := func(r *rand.Rand, n int) []netip.Prefix { return familyPrefixes(r, n, true, 0) }
	tests := []struct {
		name           string
		make           func(r *rand.Rand) []netip.Prefix
		want4, want6   string
		wantTag4, tag6 string // the shapes of a TagSet of the same prefixes
	}{
		{"empty", func(*rand.Rand) []netip.Prefix { return nil }, "none", "none", "none", "none"},
		{"one v4", func(r *rand.Rand) []netip.Prefix { return v4(r, 1) }, "one", "none", "one", "none"},
		{"scan v4", func(r *rand.Rand) []netip.Prefix { return v4(r, 12) }, "scan", "none", "scan", "none"},
		{"index v4", func(r *rand.Rand) []netip.Prefix { return v4(r, 100) }, "index", "none", "dir8", "none"},
		{"dir v4", func(r *rand.Rand) []netip.Prefix { return v4(r, 600) }, "dir", "none", "dir", "none"},
		{"scan v6", func(r *rand.Rand) []netip.Prefix { return v6(r, 3) }, "none", "scan", "none", "scan"},
		{"flat v6 upper", func(r *rand.Rand) []netip.Prefix { return v6(r, 10) }, "none", "flat", "none", "flat"},
		{"index v6 upper", func(r *rand.Rand) []netip.Prefix { return v6(r, 100) }, "none", "index", "none", "index"},
		{"flat v6 wide", func(r *rand.Rand) []netip.Prefix { return wide(r, 300) }, "none", "flat", "none", "flat"},
	}
	for ti, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][2]string
			testHookShapes = func(a, b string) { got = append(got, [2]string{a, b}) }
			defer func() { testHookShapes = nil }()
			r := rand.New(rand.NewPCG(uint64(ti), 18))
			prefixes := tt.make(r)
			own := buildSplit(t, prefixes, func(int) int { return 0 })
			tagged := buildSplit(t, prefixes, func(int) int { return 1 })
			// own: the own matcher; tagged: the tag's, then the list's empty own.
			want := [][2]string{{tt.want4, tt.want6}, {tt.wantTag4, tt.tag6}, {"none", "none"}}
			if len(prefixes) == 0 {
				want = [][2]string{{"none", "none"}, {"none", "none"}} // no tag is built
			}
			if !slices.Equal(got, want) {
				t.Fatalf("shapes = %v, want %v", got, want)
			}
			for _, a := range []netip.Addr{randomAddr4(r), randomAddr6(r)} {
				for _, l := range []*List{own.list, tagged.list} {
					if n := testing.AllocsPerRun(50, func() { l.Contains(a) }); n != 0 {
						t.Errorf("Contains(%v) allocates %v times", a, n)
					}
				}
			}
			// Behind a tag: half the prefixes in a tag, half own.
			mixed := buildSplit(t, prefixes, func(i int) int { return i % 2 })
			for _, bl := range []*built{&own, &tagged, &mixed} {
				bl.explainEvery = 7
				for _, p := range prefixes {
					for _, a := range neighbours(p) {
						bl.check(t, a)
					}
					bl.check(t, randomIn(r, p))
				}
				for range scale(2000) {
					bl.check(t, randomAddr4(r))
					bl.check(t, randomAddr6(r))
				}
			}
		})
	}
}

// familyPrefixes returns n random global prefixes of one family; IPv6
// ones are no longer than maxBits when it is not 0.
func familyPrefixes(r *rand.Rand, n int, v6 bool, maxBits int) []netip.Prefix {
	var out []netip.Prefix
	for len(out) < n {
		for _, p := range randomGlobalPrefixes(r, 2*n) {
			if p.Addr().Is6() != v6 || maxBits > 0 && p.Bits() > maxBits || len(out) == n {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

// TestScanEdges covers the ends of the address space, where k-lo and
// hi-lo wrap, for the one-range and scan shapes.
func TestScanEdges(t *testing.T) {
	for _, list := range [][]string{
		{"0.0.0.0/32"}, {"255.255.255.255/32"}, {"0.0.0.0/1", "255.255.255.0/24"},
		{"::/128"}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}, {"::/1", "ffff::/16"},
	} {
		t.Run(fmt.Sprint(list), func(t *testing.T) {
			var prefixes []netip.Prefix
			for _, s := range list {
				prefixes = append(prefixes, netip.MustParsePrefix(s))
			}
			bl := buildSplit(t, prefixes, func(int) int { return 0 })
			for _, s := range []string{"0.0.0.0", "0.0.0.1", "127.255.255.255", "128.0.0.0", "255.255.254.255",
				"255.255.255.0", "255.255.255.254", "255.255.255.255", "::", "::1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				"8000::", "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
				"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
				bl.check(t, netip.MustParseAddr(s))
			}
		})
	}
}
