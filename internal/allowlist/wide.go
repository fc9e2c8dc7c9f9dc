package allowlist

import (
	"encoding/binary"
	"net/netip"
)

// u128 is an IPv6 address as two big-endian halves.
type u128 struct{ hi, lo uint64 }

func u128Of(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

func (x u128) addOne() (u128, bool) {
	lo := x.lo + 1
	hi := x.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}, hi == 0 && lo == 0
}

// wideSet holds IPv6 ranges narrower than a /64, which the 64-bit index
// cannot represent. It is usually empty, and small when it is not.
type wideSet struct {
	lo, hi []u128
}

// contains reports whether a lies in one of the ranges.
func (w *wideSet) contains(a u128) bool {
	n := len(w.lo)
	if n == 0 {
		return false
	}
	i, m := 0, n
	for m > 1 {
		half := m >> 1
		if !a.less(w.lo[i+half]) {
			i += half
		}
		m -= half
	}
	return !a.less(w.lo[i]) && !w.hi[i].less(a)
}
