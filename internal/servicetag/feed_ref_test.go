package servicetag

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// refCounts is the slow reference for the feed parsers: from plain
// encoding/json maps, with none of the parsers' code, it returns every tag
// a feed document defines (lower-case name) with its number of distinct
// IPv4 and IPv6 prefixes.
func refCounts(tb testing.TB, f Feed, data []byte) map[string][2]int {
	tb.Helper()
	sets := map[string]map[string]bool{}
	put := func(tag, pfx string) {
		tag = strings.ToLower(tag)
		if sets[tag] == nil {
			sets[tag] = map[string]bool{}
		}
		sets[tag][pfx] = true
	}
	var m map[string]any
	if f != FeedCloudflare {
		if err := json.Unmarshal(data, &m); err != nil {
			tb.Fatalf("reference decode %s: %v", f, err)
		}
	}
	list := func(v any) []map[string]any {
		var out []map[string]any
		for _, e := range v.([]any) {
			out = append(out, e.(map[string]any))
		}
		return out
	}
	str := func(e map[string]any, k string) string { s, _ := e[k].(string); return s }
	switch f {
	case FeedGitHub:
		for k, v := range m {
			items, ok := v.([]any)
			if !ok || len(items) == 0 {
				continue
			}
			if s, ok := items[0].(string); !ok || !isPrefix(s) {
				continue
			}
			name := "GitHub."
			for _, w := range strings.Split(k, "_") {
				name += strings.ToUpper(w[:1]) + w[1:]
			}
			for _, it := range items {
				put(name, it.(string))
			}
		}
	case FeedAWS:
		for _, field := range []string{"prefixes", "ipv6_prefixes"} {
			for _, e := range list(m[field]) {
				p := str(e, "ip_prefix") + str(e, "ipv6_prefix")
				put("AWS", p)
				put("AWS."+str(e, "service"), p)
				put("AWS."+str(e, "service")+"."+str(e, "region"), p)
			}
		}
	case FeedGoogleCloud, FeedGoogle:
		root := map[Feed]string{FeedGoogleCloud: "GoogleCloud", FeedGoogle: "Google"}[f]
		for _, e := range list(m["prefixes"]) {
			p := str(e, "ipv4Prefix") + str(e, "ipv6Prefix")
			put(root, p)
			if f == FeedGoogleCloud {
				put(root+"."+str(e, "scope"), p)
			}
		}
	case FeedOracle:
		for _, r := range list(m["regions"]) {
			for _, c := range list(r["cidrs"]) {
				put("OracleCloud", str(c, "cidr"))
				put("OracleCloud."+str(r, "region"), str(c, "cidr"))
			}
		}
	case FeedFastly:
		for _, k := range []string{"addresses", "ipv6_addresses"} {
			for _, v := range m[k].([]any) {
				put("Fastly", v.(string))
			}
		}
	case FeedCloudflare:
		for _, s := range strings.Fields(string(data)) {
			put("Cloudflare", s)
		}
	}
	out := map[string][2]int{}
	for tag, set := range sets {
		var c [2]int
		for p := range set {
			if strings.Contains(p, ":") {
				c[1]++
			} else {
				c[0]++
			}
		}
		out[tag] = c
	}
	return out
}

func isPrefix(s string) bool {
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// docCounts is refCounts computed from a parsed Document.
func docCounts(d *Document) map[string][2]int {
	out := map[string][2]int{}
	for i := range d.Tags {
		v4, v6 := d.Tags[i].PrefixCount()
		out[strings.ToLower(d.Tags[i].Name)] = [2]int{v4, v6}
	}
	return out
}

// naiveContains is the reference membership test: a loop over prefixes.
func naiveContains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// sharedPath is the path of a shared test file.
func sharedPath(tb testing.TB, name string) string {
	tb.Helper()
	return testutil.ServiceTags(tb, name)
}
