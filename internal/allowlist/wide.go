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
		// Step when a >= lo: no borrow out of a - lo. Arithmetic, not a
		// branch, which would mispredict about half the time.
		l := w.lo[i+half]
		_, b := bits.Sub64(a.lo, l.lo, 0)
		_, b = bits.Sub64(a.hi, l.hi, b)
		i += half & int(b-1)
		m -= half
	}
	return !a.less(w.lo[i]) && !w.hi[i].less(a)
}
