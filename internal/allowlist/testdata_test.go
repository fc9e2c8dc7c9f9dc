package allowlist

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"testing"
)

// azurePublic is the real Azure Public service-tag document, read from the
// repository's sibling shared/ directory (never copied into the repo).
const azurePublic = "../../../shared/testdata/servicetags/azure-public-2025-10-13.json"

var tagCache sync.Map // tag name -> []netip.Prefix

// loadTag returns the addressPrefixes of one tag of azurePublic. It decodes
// the file with encoding/json so the tests do not depend on servicetag.
func loadTag(tb testing.TB, name string) []netip.Prefix {
	tb.Helper()
	if v, ok := tagCache.Load(name); ok {
		return v.([]netip.Prefix)
	}
	data, err := os.ReadFile(azurePublic)
	if err != nil {
		tb.Fatalf("read service tags %s: %v", azurePublic, err)
	}
	var doc struct {
		Values []struct {
			Name       string `json:"name"`
			Properties struct {
				AddressPrefixes []string `json:"addressPrefixes"`
			} `json:"properties"`
		} `json:"values"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("decode service tags %s: %v", azurePublic, err)
	}
	for _, v := range doc.Values {
		if v.Name != name {
			continue
		}
		out := make([]netip.Prefix, 0, len(v.Properties.AddressPrefixes))
		for _, s := range v.Properties.AddressPrefixes {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				tb.Fatalf("tag %q: parse prefix %q: %v", name, s, err)
			}
			out = append(out, p)
		}
		tagCache.Store(name, out)
		return out
	}
	tb.Fatalf("tag %q not found in %s", name, azurePublic)
	return nil
}

// randomGlobalPrefixes returns n random global unicast prefixes, half IPv4
// (/8 to /32) and half IPv6 (/16 to /128 inside 2000::/3), from r.
func randomGlobalPrefixes(r *rand.Rand, n int) []netip.Prefix {
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		var p netip.Prefix
		if len(out)%2 == 0 {
			a := randomAddr4(r)
			p, _ = a.Prefix(8 + r.IntN(25))
		} else {
			a := randomAddr6(r)
			p, _ = a.Prefix(16 + r.IntN(113))
		}
		if p.Addr().IsGlobalUnicast() && !p.Addr().IsPrivate() {
			out = append(out, p)
		}
	}
	return out
}

func randomAddr4(r *rand.Rand) netip.Addr {
	v := r.Uint32()
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// randomAddr6 returns a random address in 2000::/3.
func randomAddr6(r *rand.Rand) netip.Addr {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^(7<<61) | 1<<61
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// randomIn returns a random address inside p.
func randomIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if r.IntN(2) == 1 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
