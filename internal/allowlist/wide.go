package allowlist

import "math/bits"

// u128 is an IPv6 address as two big-endian halves.
type u128 struct{ hi, lo uint64 }

// less reports whether x < y, without branches: the borrow out of x - y.
func (x u128) less(y u128) bool {
	_, b := bits.Sub64(x.lo, y.lo, 0)
	_, b = bits.Sub64(x.hi, y.hi, b)
	return b != 0
}

func (x u128) addOne() (u128, bool) {
	lo := x.lo + 1
	hi := x.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}, hi == 0 && lo == 0
}

// wideSet holds IPv6 ranges in 128-bit form: those narrower than a /64,
// which the 64-bit index cannot represent, together with the others when a
// matcher uses the scan or flat6 shape.
type wideSet struct {
	lo, hi []u128
}
