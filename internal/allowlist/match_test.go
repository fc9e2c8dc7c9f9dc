package allowlist

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// built is one list in the three forms the tests compare.
type built struct {
	explainEvery int // check Explain on every n-th address only (0: all)
	n            int
	list         *List
	tags         []*TagSet
	ref          refList
}

// buildSplit compiles prefixes into a List: prefixes whose split value is 0
// are own entries, 1 and 2 go into two TagSets.
func buildSplit(tb testing.TB, prefixes []netip.Prefix, split func(i int) int) built {
	tb.Helper()
	var parts [3][]netip.Prefix
	for i, p := range prefixes {
		s := split(i)
		parts[s] = append(parts[s], p)
	}
	var b Builder
	for _, p := range parts[0] {
		b.AddPrefix(p, p.String())
	}
	var tags []*TagSet
	for i, ps := range parts[1:] {
		if len(ps) == 0 {
			continue
		}
		t := NewTagSet([]string{"TagA", "TagB"}[i], int64(i+1), ps)
		tags = append(tags, t)
		b.AddTag(t, t.Name())
	}
	l, err := b.Build()
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return built{list: l, tags: tags, ref: *newRef(prefixes)}
}

// check compares the list, its tags and Explain with the reference at a.
func (bl *built) check(tb testing.TB, a netip.Addr) {
	tb.Helper()
	want := bl.ref.contains(a)
	if got := bl.list.Contains(a); got != want {
		tb.Fatalf("Contains(%v) = %v, reference says %v", a, got, want)
	}
	bl.n++
	if bl.explainEvery > 0 && bl.n%bl.explainEvery != 0 {
		return
	}
	if d := bl.list.Explain(a); d.Allowed != want {
		tb.Fatalf("Explain(%v) = %+v, reference says %v", a, d, want)
	}
}

// neighbours returns the first and last address of p and the addresses
// just outside it.
func neighbours(p netip.Prefix) []netip.Addr {
	first, last := p.Addr(), lastAddr(p)
	out := []netip.Addr{first, last}
	if a := first.Prev(); a.IsValid() {
		out = append(out, a)
	}
	if a := last.Next(); a.IsValid() {
		out = append(out, a)
	}
	return out
}

// scale returns n, or a tenth of it under the race detector.
func scale(n int) int {
	if raceEnabled {
		return max(1, n/10)
	}
	return n
}

func TestContainsRandom(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		split func(i int) int
	}{
		{name: "own only", n: 300, split: func(int) int { return 0 }},
		{name: "one tag only", n: 300, split: func(int) int { return 1 }},
		{name: "own and one tag", n: 500, split: func(i int) int { return i % 2 }},
		{name: "own and two tags", n: 500, split: func(i int) int { return i % 3 }},
		{name: "few own", n: 5, split: func(int) int { return 0 }},
	}
	for ti, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ti), 42))
			for round := range scale(8) {
				prefixes := randomGlobalPrefixes(r, tt.n)
				if round%4 == 1 {
					// Clustered prefixes, like a service tag: one /8 and one /24.
					for i := range prefixes {
						prefixes[i] = clustered(r, prefixes[i])
					}
				}
				bl := buildSplit(t, prefixes, tt.split)
				for _, p := range prefixes {
					for _, a := range neighbours(p) {
						bl.check(t, a)
					}
					bl.check(t, randomIn(r, p))
				}
				for range scale(1000) {
					bl.check(t, randomAddr4(r))
					bl.check(t, randomAddr6(r))
				}
			}
		})
	}
}

// clustered moves p into 20.0.0.0/8 or 2603:1000::/24 keeping its length
// where it fits, so that ranges crowd into few index buckets.
func clustered(r *rand.Rand, p netip.Prefix) netip.Prefix {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	if len(b) == 4 {
		b[0] = 20
		bits = max(bits, 8)
	} else {
		b[0], b[1], b[2] = 0x26, 0x03, 0x10
		bits = max(bits, 24)
	}
	a, _ := netip.AddrFromSlice(b)
	q, _ := a.Prefix(bits)
	return q
}

func TestContainsAzureCloud(t *testing.T) {
	prefixes := loadTag(t, "AzureCloud")
	r := rand.New(rand.NewPCG(1, 2))
	extra := randomGlobalPrefixes(r, 200)
	all := append(append([]netip.Prefix(nil), prefixes...), extra...)
	bl := buildSplit(t, all, func(i int) int {
		if i < len(prefixes) {
			return 1
		}
		return 0
	})
	bl.explainEvery = 50
	if got := bl.tags[0].Len(); got != len(prefixes) {
		t.Errorf("Len() = %d, want %d", got, len(prefixes))
	}
	// Every own prefix and every 4th tag prefix (every 40th under -race),
	// at and around its ends.
	step := 4
	if raceEnabled {
		step = 40
	}
	for i, p := range all {
		if i < len(prefixes) && i%step != 0 {
			continue
		}
		for _, a := range neighbours(p) {
			bl.check(t, a)
		}
	}
	for range scale(3000) {
		bl.check(t, randomAddr4(r))
		bl.check(t, randomAddr6(r))
	}
	v4, v6 := bl.tags[0].Ranges()
	t.Logf("AzureCloud: %d prefixes, %d v4 and %d v6 merged ranges", len(prefixes), v4, v6)
}

// universe enumerates every address of a tiny universe: 192.0.2.0/24,
// 2001:db8::/120, and 2001:db8:0:X::Y for X, Y < 16 (which exercises the
// 64-bit IPv6 index as well as the wide one).
func universe() []netip.Addr {
	var out []netip.Addr
	for i := range 256 {
		out = append(out, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
		out = append(out, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)}))
		out = append(out, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: byte(i >> 4), 15: byte(i & 15)}))
	}
	// Just outside, on both sides.
	for _, s := range []string{"192.0.1.255", "192.0.3.0", "2001:db8::100", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
		"2001:db8:0:10::", "::ffff:192.0.2.7", "::ffff:192.0.3.0", "0.0.0.0", "::"} {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// universePrefix decodes two bytes into a prefix of the tiny universe.
func universePrefix(kind, v byte) netip.Prefix {
	var p netip.Prefix
	switch kind % 4 {
	case 0: // 192.0.2.0/24 ... /32
		p, _ = netip.AddrFrom4([4]byte{192, 0, 2, v}).Prefix(24 + int(kind>>2)%9)
	case 1: // 2001:db8::/120 ... /128
		p, _ = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: v}).Prefix(120 + int(kind>>2)%9)
	case 2: // 2001:db8:0:X::/60 ... /64
		p, _ = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: v & 15}).Prefix(60 + int(kind>>2)%5)
	default: // 2001:db8:0:X::Y/124 ... /128, and IPv4-mapped
		if kind&4 != 0 {
			p, _ = netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: 192, 14: 2, 15: v}).Prefix(120 + int(kind>>3)%9)
			break
		}
		p, _ = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: v >> 4, 15: v & 15}).Prefix(124 + int(kind>>3)%5)
	}
	return p.Masked()
}

func TestContainsTinyUniverse(t *testing.T) {
	addrs := universe()
	r := rand.New(rand.NewPCG(7, 7))
	for round := range scale(300) {
		n := 1 + r.IntN(12)
		prefixes := make([]netip.Prefix, n)
		for i := range prefixes {
			prefixes[i] = universePrefix(byte(r.Uint32()), byte(r.Uint32()))
		}
		bl := buildSplit(t, prefixes, func(i int) int { return (i + round) % 3 })
		for _, a := range addrs {
			bl.check(t, a)
		}
	}
}

func FuzzContains(f *testing.F) {
	f.Add([]byte{})                             // empty list
	f.Add([]byte{0, 7, 0})                      // one /24 as an own entry
	f.Add([]byte{4 << 2, 5, 1, 1, 200, 2})      // an IPv4 /28 in tag A and a /120 in tag B
	f.Add([]byte{2, 3, 0, 6, 3, 1, 3, 0x21, 2}) // a /60, a /64 and a /124 over the 64-bit boundary
	f.Add([]byte{7, 9, 0, 2, 255, 1})           // an IPv4-mapped prefix and the last /60
	addrs := universe()
	f.Fuzz(func(t *testing.T, data []byte) {
		var prefixes []netip.Prefix
		var where []int
		for ; len(data) >= 3 && len(prefixes) < 64; data = data[3:] {
			prefixes = append(prefixes, universePrefix(data[0], data[1]))
			where = append(where, int(data[2])%3)
		}
		bl := buildSplit(t, prefixes, func(i int) int { return where[i] })
		for _, a := range addrs {
			bl.check(t, a)
		}
		for _, tag := range bl.tags {
			ref := newRef(tag.Prefixes())
			for _, a := range addrs {
				want := ref.contains(a)
				if got := tag.Contains(a); got != want {
					t.Fatalf("TagSet %s Contains(%v) = %v, want %v", tag.Name(), a, got, want)
				}
			}
		}
	})
}

func TestContainsEdges(t *testing.T) {
	var b Builder
	b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"), "all v4")
	b.AddPrefix(netip.MustParsePrefix("ffff::/16"), "top v6")
	l, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	var disabled Builder
	disabled.AllowAll()
	all, err := disabled.Build()
	if err != nil {
		t.Fatal(err)
	}
	var nilList *List
	tests := []struct {
		name string
		list *List
		addr netip.Addr
		want bool
	}{
		{name: "nil list", list: nilList, addr: netip.MustParseAddr("20.20.20.20")},
		{name: "zero list", list: &List{}, addr: netip.MustParseAddr("20.20.20.20")},
		{name: "zero list v6", list: &List{}, addr: netip.MustParseAddr("2603::1")},
		{name: "zero addr", list: l, addr: netip.Addr{}},
		{name: "zero addr disabled", list: all, addr: netip.Addr{}},
		{name: "disabled v4", list: all, addr: netip.MustParseAddr("20.20.20.20"), want: true},
		{name: "disabled v6", list: all, addr: netip.MustParseAddr("2603::1"), want: true},
		{name: "0/0 lowest", list: l, addr: netip.MustParseAddr("0.0.0.0"), want: true},
		{name: "0/0 highest", list: l, addr: netip.MustParseAddr("255.255.255.255"), want: true},
		{name: "mapped", list: l, addr: netip.MustParseAddr("::ffff:20.20.20.20"), want: true},
		{name: "v6 highest", list: l, addr: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), want: true},
		{name: "v6 below", list: l, addr: netip.MustParseAddr("fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
		{name: "v6 lowest", list: l, addr: netip.MustParseAddr("::")},
		{name: "zone", list: l, addr: netip.MustParseAddr("ffff::1%eth0"), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.list.Contains(tt.addr); got != tt.want {
				t.Errorf("Contains(%v) = %v, want %v", tt.addr, got, tt.want)
			}
			if got := tt.list.Explain(tt.addr).Allowed; got != tt.want {
				t.Errorf("Explain(%v).Allowed = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestContainsAllocs(t *testing.T) {
	tag := NewTagSet("AzureCloud", 272, loadTag(t, "AzureCloud"))
	var b Builder
	b.AddTag(tag, "AzureCloud")
	b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
	b.AddPrefix(netip.MustParsePrefix("2001:db8::1/128"), "2001:db8::1")
	l, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("20.20.20.20"), netip.MustParseAddr("1.1.1.1"),
		netip.MustParseAddr("2603:1000::1"), netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::ffff:20.20.20.20"), {},
	}
	for _, a := range addrs {
		if n := testing.AllocsPerRun(100, func() { l.Contains(a) }); n != 0 {
			t.Errorf("List.Contains(%v) allocates %v times", a, n)
		}
		if n := testing.AllocsPerRun(100, func() { tag.Contains(a) }); n != 0 {
			t.Errorf("TagSet.Contains(%v) allocates %v times", a, n)
		}
	}
}

// TestTagSetManyBlocks covers the fallback from the DIR table to the range
// index when more /16 blocks are partly covered than 16-bit node numbers
// can name.
func TestTagSetManyBlocks(t *testing.T) {
	var prefixes []netip.Prefix
	for b := range 1 << 16 {
		prefixes = append(prefixes, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(b >> 8), byte(b), 7, 0}), 24))
	}
	tag := NewTagSet("many", 1, prefixes)
	if tag.m.d4 != nil {
		t.Fatal("DIR table built with more nodes than 16 bits can number")
	}
	for _, tt := range []struct {
		addr string
		want bool
	}{{"0.0.7.0", true}, {"255.255.7.255", true}, {"20.20.6.255", false}, {"20.20.8.0", false}} {
		if got := tag.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestTagSetManyBitmaps covers the fallback from the DIR table to the range
// index when more /24 blocks are partly covered than 16-bit bitmap numbers
// can name, while the /16 blocks fit.
func TestTagSetManyBitmaps(t *testing.T) {
	// The lower half of every /24 of 300 /16s from 10.0.0.0 to 11.43.255.255.
	prefixes := make([]netip.Prefix, 300<<8)
	for i := range prefixes {
		b := 10<<16 + i
		prefixes[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(b >> 16), byte(b >> 8), byte(b), 0}), 25)
	}
	tag := NewTagSet("many", 1, prefixes)
	if tag.m.d4 != nil {
		t.Fatal("DIR table built with more bitmaps than 16 bits can number")
	}
	for _, tt := range []struct {
		addr string
		want bool
	}{{"10.0.0.0", true}, {"10.0.0.127", true}, {"10.0.0.128", false}, {"11.43.255.127", true}, {"11.44.0.0", false}} {
		if got := tag.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
