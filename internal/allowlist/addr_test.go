package allowlist

import (
	"net/netip"
	"testing"
)

func TestAddrHalves(t *testing.T) {
	if !layoutOK {
		t.Error("netip.Addr layout changed: the IPv6 fast path is off (still correct, slower)")
	}
	for _, s := range []string{"::", "2603:1000::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1%eth0"} {
		a := netip.MustParseAddr(s)
		hi, lo := addrHalves(&a)
		whi, wlo := addrHalvesSlow(a)
		if hi != whi || lo != wlo {
			t.Errorf("addrHalves(%s) = %x %x, want %x %x", s, hi, lo, whi, wlo)
		}
	}
}

func TestUnmapPrefix(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{name: "mapped /104", in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{name: "mapped /96", in: "::ffff:0.0.0.0/96", want: "0.0.0.0/0"},
		{name: "mapped host", in: "::ffff:1.2.3.4/128", want: "1.2.3.4/32"},
		{name: "not masked", in: "::ffff:1.2.3.4/120", want: "1.2.3.4/24"},
		{name: "ipv4", in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{name: "ipv6", in: "2001:db8::/32", want: "2001:db8::/32"},
		{name: "mapped address, shorter than /96", in: "::ffff:1.2.3.4/80", want: "::ffff:1.2.3.4/80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnmapPrefix(netip.MustParsePrefix(tc.in)); got.String() != tc.want {
				t.Errorf("UnmapPrefix(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
