package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"

	"go4.org/netipx"
)

// allowlist is the one set of addresses every contender admits: the
// AzureCloud tag's prefixes plus extra random global CIDRs.
type allowlist struct {
	tag    []netip.Prefix // the service tag's prefixes, as published
	extra  []netip.Prefix // random global CIDRs (fixed seed)
	set    *netipx.IPSet  // union of tag and extra: the reference for picking addresses
	tagged string         // the tag's name ("AzureCloud")
}

// all returns the flat prefix list (tag then extra) the peers are given.
func (a *allowlist) all() []netip.Prefix {
	return append(append([]netip.Prefix{}, a.tag...), a.extra...)
}

// serviceTagFile is the part of an Azure service-tag download document the
// harness reads.
type serviceTagFile struct {
	Values []struct {
		Name       string `json:"name"`
		Properties struct {
			AddressPrefixes []string `json:"addressPrefixes"`
		} `json:"properties"`
	} `json:"values"`
}

// loadTag reads the prefixes of the named tag from an Azure service-tag
// download document.
func loadTag(path, tag string) ([]netip.Prefix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load service tags from %s: %w", path, err)
	}
	var doc serviceTagFile
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("load service tags from %s: %w", path, err)
	}
	for _, v := range doc.Values {
		if !strings.EqualFold(v.Name, tag) {
			continue
		}
		out := make([]netip.Prefix, 0, len(v.Properties.AddressPrefixes))
		for _, s := range v.Properties.AddressPrefixes {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("load service tag %q from %s: prefix %q: %w", tag, path, s, err)
			}
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("load service tag %q from %s: no such tag", tag, path)
}

// reserved4 are IPv4 ranges that are not global unicast; random CIDRs and
// denied addresses avoid them so every contender sees ordinary clients.
var reserved4 = mustPrefixes("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
	"192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// isGlobal reports whether a is an ordinary public address: IPv4 outside
// reserved4, or IPv6 in 2000::/3 outside documentation space.
func isGlobal(a netip.Addr) bool {
	if a.Is4() {
		for _, p := range reserved4 {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	b := a.As16()
	doc := netip.MustParsePrefix("2001:db8::/32")
	return b[0]&0xe0 == 0x20 && !doc.Contains(a)
}

// randomCIDRs returns n distinct random global CIDRs from rng: about four
// in five IPv4 (/12 to /28), the rest IPv6 (/32 to /64).
func randomCIDRs(rng *rand.Rand, n int) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		var p netip.Prefix
		if rng.IntN(5) < 4 {
			var b [4]byte
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			p = netip.PrefixFrom(netip.AddrFrom4(b), 12+rng.IntN(17)).Masked()
		} else {
			var b [16]byte
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			b[0] = 0x20 | b[0]&0x1f
			p = netip.PrefixFrom(netip.AddrFrom16(b), 32+rng.IntN(33)).Masked()
		}
		if !isGlobal(p.Addr()) || !isGlobal(lastAddr(p)) || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr { return netipx.PrefixLastIP(p) }

// newAllowlist loads tag from the document at path and adds extra random
// CIDRs drawn with seed.
func newAllowlist(path, tag string, extra int, seed uint64) (*allowlist, error) {
	tp, err := loadTag(path, tag)
	if err != nil {
		return nil, err
	}
	a := &allowlist{tag: tp, tagged: tag, extra: randomCIDRs(rand.New(rand.NewPCG(seed, 1)), extra)}
	var b netipx.IPSetBuilder
	for _, p := range a.all() {
		b.AddPrefix(p)
	}
	a.set, err = b.IPSet()
	if err != nil {
		return nil, fmt.Errorf("build allowlist of %d prefixes: %w", len(a.all()), err)
	}
	return a, nil
}

// randomIn returns a uniformly random address inside p.
func randomIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		bits := min(host, 8)
		b[i] |= byte(rng.UintN(1<<bits)) & byte(1<<bits-1)
		host -= bits
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// allowedAddrs returns n addresses the allowlist admits, drawn from
// random prefixes (tag and extra alike), so both families appear.
func (a *allowlist) allowedAddrs(rng *rand.Rand, n int) []netip.Addr {
	all := a.all()
	out := make([]netip.Addr, 0, n)
	for len(out) < n {
		out = append(out, randomIn(rng, all[rng.IntN(len(all))]))
	}
	return out
}

// deniedAddrs returns n global addresses the allowlist does not admit,
// about four in five IPv4.
func (a *allowlist) deniedAddrs(rng *rand.Rand, n int) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000*n {
			return nil, errors.New("pick denied addresses: the allowlist covers almost everything")
		}
		var x netip.Addr
		if rng.IntN(5) < 4 {
			x = randomIn(rng, netip.MustParsePrefix("0.0.0.0/0"))
		} else {
			x = randomIn(rng, netip.MustParsePrefix("2000::/3"))
		}
		if isGlobal(x) && !a.set.Contains(x) {
			out = append(out, x)
		}
	}
	return out, nil
}
