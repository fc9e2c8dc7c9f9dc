package gateway

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// TestAdmitterAgreesWithExplain: Admitter's decision is Explain's verdict
// (the slow reference: it scans the entries and grants) on a tiny universe
// (every address of 10.0.0.0/24, its IPv4-mapped form, and a few IPv6),
// for random lists and grants, some expired, at random times.
func TestAdmitterAgreesWithExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	randPrefix := func() string {
		bits := 24 + rng.IntN(9)
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(256))}), bits).Masked().String()
	}
	for round := range 200 {
		var entries []any
		for range rng.IntN(4) {
			entries = append(entries, randPrefix())
		}
		entries = append(entries, "2001:db8::/64")
		r := Route{Name: "r", Allow: list(t, entries...)}
		for i := range rng.IntN(5) {
			p := netip.MustParsePrefix(randPrefix())
			if rng.IntN(3) == 0 { // an IPv4-mapped grant
				p = netip.PrefixFrom(netip.AddrFrom16(p.Addr().As16()), p.Bits()+96)
			}
			r.Grants = append(r.Grants, Grant{Name: fmt.Sprint("g", i), Prefix: p,
				Expires: now.Add(time.Duration(rng.IntN(120)-60) * time.Minute)})
		}
		at := now.Add(time.Duration(rng.IntN(60)) * time.Minute)
		admits := Admitter(&r, at)
		var addrs []netip.Addr
		for i := range 256 {
			a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
			addrs = append(addrs, a, netip.AddrFrom16(a.As16()))
		}
		addrs = append(addrs, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db9::1"), netip.Addr{})
		for _, a := range addrs {
			if got, want := admits(a), Explain(&r, a, at).Allowed; got != want {
				t.Fatalf("round %d: %s: Admitter %v, Explain %v (entries %v, grants %+v, at %v)", round, a, got, want, entries, r.Grants, at)
			}
		}
	}
}
