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
