package servicetag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// decodeFeedJSON checks that data is a JSON object and decodes it into v,
// adding problems labelled with the feed's title. ok is false when nothing
// usable decoded.
func decodeFeedJSON(f Feed, data []byte, v any, p *problems) bool {
	data = trimBOM(data)
	label := f.title() + ": "
	if !looksLikeJSONObject(data, label, p) {
		return false
	}
	return decodeErrorOK(json.Unmarshal(data, v), data, label, p)
}

// ParseGitHubMeta parses GitHub's api.github.com/meta. Every key whose
// value is a list of CIDR prefixes becomes the tag GitHub.<Key>, the key in
// PascalCase (actions_macos → GitHub.ActionsMacos), with the key as
// SystemService; other keys (ssh_keys, domains, booleans) are ignored. A
// list holding any CIDR must hold only canonical CIDRs. The document has no
// version: ChangeNumber is 0, Digest is its version and each tag's
// ChangeNumber is a hash of its prefixes.
func ParseGitHubMeta(name string, data []byte) (*Document, error) {
	var p problems
	var raw map[string]json.RawMessage
	if !decodeFeedJSON(FeedGitHub, data, &raw, &p) {
		return nil, p.err(name)
	}
	b := newFeedBuilder(FeedGitHub, &p, 0)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := bytes.TrimLeft(raw[k], " \t\r\n")
		if len(v) == 0 || v[0] != '[' {
			continue // a boolean, an object (domains, ssh_key_fingerprints), …
		}
		var list []string
		if json.Unmarshal(v, &list) != nil || !anyCIDR(list) && len(list) > 0 {
			continue // not a list of strings, or one of no CIDRs (ssh_keys)
		}
		if !b.nameOK(loc{a: "key", i: -1, line: true}, k) {
			continue
		}
		i := b.tag("GitHub."+pascalCase(k), "", k)
		for j, s := range list {
			if pfx, ok := b.prefix(loc{a: k, i: j, j: -1}, s, 0); ok {
				b.add(i, pfx)
			}
		}
	}
	return b.build(name, 0)
}

// anyCIDR reports whether any string of list is meant as a prefix: a '/'
// after a non-empty run of hex digits, dots and colons ("192.30.252.0/22",
// "2a0a:a440::/29", also a mistyped "192.30.252/22"). An SSH key or a host
// name is not, so such lists are ignored, while a list with one mistyped
// prefix is refused rather than silently dropped.
func anyCIDR(list []string) bool {
	for _, s := range list {
		i := strings.IndexByte(s, '/')
		if i <= 0 {
			continue
		}
		addr := true
		for _, c := range s[:i] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
				addr = false
				break
			}
		}
		if addr {
			return true
		}
	}
	return false
}

// pascalCase turns a snake_case or kebab-case key into PascalCase:
// actions_macos → ActionsMacos, github_enterprise_importer →
// GithubEnterpriseImporter.
func pascalCase(s string) string {
	var sb strings.Builder
	up := true
	for _, c := range s {
		switch {
		case c == '_' || c == '-':
			up = true
		case up && c >= 'a' && c <= 'z':
			sb.WriteRune(c - 'a' + 'A')
			up = false
		default:
			sb.WriteRune(c)
			up = false
		}
	}
	return sb.String()
}

// awsDoc is ip-ranges.json.
type awsDoc struct {
	SyncToken  flexInt  `json:"syncToken"`
	CreateDate string   `json:"createDate"`
	Prefixes   []awsPfx `json:"prefixes"`
	IPv6       []awsPfx `json:"ipv6_prefixes"`
}

type awsPfx struct {
	IPPrefix   string `json:"ip_prefix"`
	IPv6Prefix string `json:"ipv6_prefix"`
	Region     string `json:"region"`
	Service    string `json:"service"`
	// network_border_group is not read: the region names the parent region
	// of a Local Zone already.
}

// ParseAWS parses AWS's ip-ranges.json into AWS (every prefix),
// AWS.<SERVICE> (e.g. AWS.EC2) and AWS.<SERVICE>.<region> (e.g.
// AWS.EC2.us-east-1), IPv4 and IPv6 together. The region is the region
// field: a Local Zone or Wavelength prefix (network_border_group
// us-east-1-atl-1) carries its parent region (us-east-1) there, so it
// belongs to the parent's tag; prefixes of region GLOBAL (CloudFront, Global
// Accelerator, …) are in AWS.<SERVICE>.GLOBAL and no regional tag. The
// ChangeNumber is syncToken (Unix seconds of publication), also every tag's.
func ParseAWS(name string, data []byte) (*Document, error) {
	var p problems
	raw, fast := awsFast(data)
	if !fast && !decodeFeedJSON(FeedAWS, data, &raw, &p) {
		return nil, p.err(name)
	}
	version := feedVersion(FeedAWS, "syncToken", raw.SyncToken, &p)
	b := newFeedBuilder(FeedAWS, &p, 3*(len(raw.Prefixes)+len(raw.IPv6)))
	all := b.tag("AWS", "", "")
	services := map[string]int{}    // service → tag
	regional := map[[2]string]int{} // (service, region) → tag
	add := func(list []awsPfx, field string, family int) {
		for j := range list {
			e := &list[j]
			s, where := e.IPPrefix, loc{a: field, i: j, b: ".ip_prefix", j: -1}
			if family == 6 {
				s, where.b = e.IPv6Prefix, ".ipv6_prefix"
			}
			pfx, ok := b.prefix(where, s, family)
			if !ok || !b.nameOK(where.at(".service"), e.Service) || !b.nameOK(where.at(".region"), e.Region) {
				continue
			}
			svc, ok := services[e.Service]
			if !ok {
				svc = b.tag("AWS."+e.Service, "", e.Service)
				services[e.Service] = svc
			}
			reg, ok := regional[[2]string{e.Service, e.Region}]
			if !ok {
				reg = b.tag("AWS."+e.Service+"."+e.Region, e.Region, e.Service)
				regional[[2]string{e.Service, e.Region}] = reg
			}
			b.add(all, pfx)
			b.add(svc, pfx)
			b.add(reg, pfx)
		}
	}
	add(raw.Prefixes, "prefixes", 4)
	add(raw.IPv6, "ipv6_prefixes", 6)
	return b.build(name, version)
}

// feedVersion checks a document's version number, which must be present
// and positive.
func feedVersion(f Feed, field string, v flexInt, p *problems) int64 {
	switch {
	case !v.set:
		p.addf("%s: %s is missing", f.title(), field)
	case v.bad != "":
		p.addf("%s: %s %s is not an integer", f.title(), field, v.bad)
	case v.v <= 0:
		p.addf("%s: %s %d is not positive", f.title(), field, v.v)
	default:
		return v.v
	}
	return 0
}

// googleDoc is cloud.json and goog.json.
type googleDoc struct {
	SyncToken    flexInt     `json:"syncToken"`
	CreationTime string      `json:"creationTime"`
	Prefixes     []googlePfx `json:"prefixes"`
}

type googlePfx struct {
	IPv4    string `json:"ipv4Prefix"`
	IPv6    string `json:"ipv6Prefix"`
	Service string `json:"service"`
	Scope   string `json:"scope"`
}

// ParseGoogleCloud parses Google Cloud's cloud.json into GoogleCloud (every
// prefix) and GoogleCloud.<scope> (e.g. GoogleCloud.us-central1,
// GoogleCloud.global). The ChangeNumber is syncToken (Unix milliseconds of
// creationTime), also every tag's.
func ParseGoogleCloud(name string, data []byte) (*Document, error) {
	return parseGoogle(FeedGoogleCloud, name, data)
}

// ParseGoogle parses Google's goog.json (Google's own address space, of
// which Google Cloud's customer ranges are a part) into the one tag Google.
// The ChangeNumber is syncToken.
func ParseGoogle(name string, data []byte) (*Document, error) {
	return parseGoogle(FeedGoogle, name, data)
}

func parseGoogle(f Feed, name string, data []byte) (*Document, error) {
	var p problems
	var raw googleDoc
	if !decodeFeedJSON(f, data, &raw, &p) {
		return nil, p.err(name)
	}
	version := feedVersion(f, "syncToken", raw.SyncToken, &p)
	b := newFeedBuilder(f, &p, 2*len(raw.Prefixes))
	root := f.Provider()
	all := b.tag(root, "", "")
	for j := range raw.Prefixes {
		e := &raw.Prefixes[j]
		where := loc{a: "prefixes", i: j, b: ".ipv4Prefix", j: -1}
		s, family := e.IPv4, 4
		if e.IPv6 != "" || e.IPv4 == "" {
			s, family, where.b = e.IPv6, 6, ".ipv6Prefix"
		}
		if e.IPv4 != "" && e.IPv6 != "" {
			p.addf("%s: %s has both ipv4Prefix and ipv6Prefix", f.title(), where.at(""))
			continue
		}
		pfx, ok := b.prefix(where, s, family)
		if !ok {
			continue
		}
		if f == FeedGoogleCloud {
			if !b.nameOK(where.at(".scope"), e.Scope) {
				continue
			}
			b.add(b.tag(root+"."+e.Scope, e.Scope, e.Service), pfx)
		}
		b.add(all, pfx)
	}
	return b.build(name, version)
}

// oracleDoc is public_ip_ranges.json.
type oracleDoc struct {
	LastUpdated string `json:"last_updated_timestamp"`
	Regions     []struct {
		Region string `json:"region"`
		CIDRs  []struct {
			CIDR string   `json:"cidr"`
			Tags []string `json:"tags"`
		} `json:"cidrs"`
	} `json:"regions"`
}

// oracleTime is the layout of last_updated_timestamp (UTC, no zone).
const oracleTime = "2006-01-02T15:04:05.999999999"

// ParseOracle parses Oracle Cloud's public_ip_ranges.json into OracleCloud
// (every CIDR) and OracleCloud.<region> (e.g. OracleCloud.us-ashburn-1);
// the per-CIDR tags (OCI, OSN, OBJECT_STORAGE) are not tags here. The
// ChangeNumber is last_updated_timestamp in Unix seconds (UTC), also every
// tag's.
func ParseOracle(name string, data []byte) (*Document, error) {
	var p problems
	var raw oracleDoc
	if !decodeFeedJSON(FeedOracle, data, &raw, &p) {
		return nil, p.err(name)
	}
	var version int64
	switch ts, err := time.Parse(oracleTime, raw.LastUpdated); {
	case raw.LastUpdated == "":
		p.addf("%s: last_updated_timestamp is missing", FeedOracle.title())
	case err != nil || ts.Unix() <= 0:
		p.addf("%s: last_updated_timestamp %q is not a time like 2025-07-11T06:06:25.451505", FeedOracle.title(), truncate(raw.LastUpdated, 40))
	default:
		version = ts.Unix()
	}
	b := newFeedBuilder(FeedOracle, &p, 0)
	all := b.tag("OracleCloud", "", "")
	for j := range raw.Regions {
		r := &raw.Regions[j]
		if !b.nameOK(loc{a: "regions", i: j, b: ".region", j: -1}, r.Region) {
			continue
		}
		reg := b.tag("OracleCloud."+r.Region, r.Region, "")
		for k := range r.CIDRs {
			if pfx, ok := b.prefix(loc{a: "regions", i: j, b: ".cidrs", j: k, c: ".cidr"}, r.CIDRs[k].CIDR, 0); ok {
				b.add(all, pfx)
				b.add(reg, pfx)
			}
		}
	}
	return b.build(name, version)
}

// ParseFastly parses Fastly's public-ip-list ({"addresses": [IPv4 …],
// "ipv6_addresses": [IPv6 …]}) into the tag Fastly. The document has no
// version: ChangeNumber is 0, Digest is its version.
func ParseFastly(name string, data []byte) (*Document, error) {
	var p problems
	var raw struct {
		Addresses []string `json:"addresses"`
		IPv6      []string `json:"ipv6_addresses"`
	}
	if !decodeFeedJSON(FeedFastly, data, &raw, &p) {
		return nil, p.err(name)
	}
	b := newFeedBuilder(FeedFastly, &p, 0)
	i := b.tag("Fastly", "", "")
	for j, s := range raw.Addresses {
		if pfx, ok := b.prefix(loc{a: "addresses", i: j, j: -1}, s, 4); ok {
			b.add(i, pfx)
		}
	}
	for j, s := range raw.IPv6 {
		if pfx, ok := b.prefix(loc{a: "ipv6_addresses", i: j, j: -1}, s, 6); ok {
			b.add(i, pfx)
		}
	}
	return b.build(name, 0)
}

// ParseCloudflare parses Cloudflare's plain-text lists (ips-v4 and ips-v6:
// one CIDR a line) into the one tag Cloudflare, the union of every list.
// Pass both downloads together; each must be a non-empty list (blank lines
// and CRLF are accepted, anything else is refused, so an HTML error page
// served in place of a list fails the whole document). The document has no
// version: ChangeNumber is 0, Digest is its version.
func ParseCloudflare(name string, lists ...[]byte) (*Document, error) {
	var p problems
	b := newFeedBuilder(FeedCloudflare, &p, 0)
	i := b.tag("Cloudflare", "", "")
	if len(lists) == 0 {
		p.addf("%s: %w", FeedCloudflare.title(), ErrEmpty)
	}
	for n, data := range lists {
		list := ""
		if len(lists) > 1 {
			list = fmt.Sprintf("list %d ", n+1)
		}
		parseTextList(b, i, list, trimBOM(data))
	}
	return b.build(name, 0)
}

// parseTextList adds every CIDR of one text list to tag i; list ("" or
// "list 2 ") locates it in messages.
func parseTextList(b *feedBuilder, i int, list string, data []byte) {
	title, what := b.feed.title(), strings.TrimSpace(list)
	if what == "" {
		what = "the list"
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		b.p.addf("%s: %s: %w", title, what, ErrEmpty)
		return
	case trimmed[0] == '<':
		b.p.addf("%s: %s is not a list of CIDRs: it looks like HTML (starts with %q), for example an error page", title, what, truncate(string(trimmed), 40))
		return
	case trimmed[0] == '{' || trimmed[0] == '[':
		b.p.addf("%s: %s is not a list of CIDRs one a line: it looks like JSON (starts with %q)", title, what, truncate(string(trimmed), 40))
		return
	}
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		s := string(bytes.TrimSpace(line))
		if s == "" {
			continue
		}
		if pfx, ok := b.prefix(loc{a: list + "line", i: n + 1, line: true}, s, 0); ok {
			b.add(i, pfx)
		}
	}
}
