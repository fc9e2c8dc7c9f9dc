package servicetag

import (
	"bytes"
	"errors"
	"net/netip"
)

// prefixList is how a rawDoc holds an addressPrefixes array.
type prefixList interface {
	prefixArray | []string
}

// prefixArray is an addressPrefixes array kept as its JSON bytes, a slice
// of the document being decoded (never copied, never kept past Parse),
// when every element is a string of printable ASCII without escapes: such
// a string's bytes are its value, so tag parses the prefixes straight from
// them. Any other array makes UnmarshalJSON fail with errNotPlain and
// decode starts over with []string.
type prefixArray struct {
	raw []byte // the array, "[" to "]"; nil for null
	n   int    // its elements
}

// errNotPlain stops a decode into prefixArray (see decode).
var errNotPlain = errors.New("addressPrefixes is not an array of plain strings")

// UnmarshalJSON keeps b when it is null or an array of plain strings.
// encoding/json has checked b's syntax.
func (a *prefixArray) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*a = prefixArray{} // as encoding/json sets a slice to nil
		return nil
	}
	n, ok := countPlainStrings(b)
	if !ok {
		return errNotPlain
	}
	*a = prefixArray{raw: b, n: n}
	return nil
}

// countPlainStrings returns the number of elements of the JSON array b when
// each is a string of printable ASCII (0x20–0x7e) without a backslash.
func countPlainStrings(b []byte) (n int, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return 0, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		for i++; i < len(b) && b[i] != '"'; i++ {
			if c := b[i]; c < 0x20 || c > 0x7e || c == '\\' {
				return 0, false
			}
		}
		if i >= len(b) {
			return 0, false
		}
		n++
		i = skipSpace(b, i+1)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return n, skipSpace(b, i+1) == len(b)
		default:
			return 0, false
		}
	}
}

// prefixCount returns the number of entries of l.
func prefixCount[L prefixList](l L) int {
	switch l := any(l).(type) {
	case prefixArray:
		return l.n
	case []string:
		return len(l)
	}
	panic("unreachable")
}

// eachPrefix calls fn with every entry of l in order: its index, and the
// prefix netip.ParsePrefix makes of it or, when that fails, the entry and
// the error.
func eachPrefix[L prefixList](l L, fn func(j int, pfx netip.Prefix, s string, err error)) {
	switch l := any(l).(type) {
	case prefixArray:
		l.each(fn)
	case []string:
		for j, s := range l {
			pfx, err := netip.ParsePrefix(s)
			fn(j, pfx, s, err)
		}
	}
}

// each is eachPrefix of a prefixArray. A canonical IPv4 prefix is parsed
// in place (parsePrefix4); any other entry becomes a string for
// netip.ParsePrefix.
func (a prefixArray) each(fn func(j int, pfx netip.Prefix, s string, err error)) {
	b := a.raw
	for i, j := 0, 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := i + 1 + bytes.IndexByte(b[i+1:], '"')
		elem := b[i+1 : end]
		if pfx, ok := parsePrefix4(elem); ok {
			fn(j, pfx, "", nil)
		} else {
			s := string(elem)
			pfx, err := netip.ParsePrefix(s)
			fn(j, pfx, s, err)
		}
		i, j = end, j+1
	}
}

// parsePrefix4 parses b when it is an IPv4 prefix written the way
// netip.ParsePrefix accepts one: four decimal octets of at most 255 and a
// bit count of at most 32, each without a sign or leading zeros, and
// nothing else. The result is then what netip.ParsePrefix returns for it
// (FuzzParsePrefix4 checks). ok is false for everything else, which the
// caller leaves to netip.ParsePrefix.
func parsePrefix4(b []byte) (netip.Prefix, bool) {
	var ip [4]byte
	i := 0
	for k := range 4 {
		sep := byte('.')
		if k == 3 {
			sep = '/'
		}
		v, next, ok := decimal(b, i, 255)
		if !ok || next >= len(b) || b[next] != sep {
			return netip.Prefix{}, false
		}
		ip[k], i = byte(v), next+1
	}
	bits, next, ok := decimal(b, i, 32)
	if !ok || next != len(b) {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(netip.AddrFrom4(ip), bits), true
}

// decimal reads a decimal number of at most limit (at most 3 digits, no
// leading zero unless it is 0) from b at i, and returns it and the index
// after it.
func decimal(b []byte, i, limit int) (v, next int, ok bool) {
	start := i
	for ; i < len(b) && i-start < 3 && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + int(b[i]-'0')
	}
	switch {
	case i == start, i < len(b) && b[i] >= '0' && b[i] <= '9': // no digit, or a fourth
		return 0, 0, false
	case b[start] == '0' && i-start > 1, v > limit:
		return 0, 0, false
	}
	return v, i, true
}
