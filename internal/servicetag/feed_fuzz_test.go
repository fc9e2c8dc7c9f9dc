package servicetag

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// checkFeedResult checks the properties every feed parser keeps, whatever
// the input: an error is a *DocumentError naming the input and comes
// without a document; a document is valid (Validate), has at least one
// prefix, every prefix valid, canonical and not IPv4-mapped, no duplicate
// within a tag, tags of the feed's provider, versions by the feed's rule,
// a root tag holding every other tag's prefixes, and a lossless
// download-format round trip.
func checkFeedResult(t *testing.T, f Feed, doc *Document, err error) {
	t.Helper()
	if err != nil {
		var de *DocumentError
		if doc != nil || !errors.As(err, &de) || !strings.HasPrefix(err.Error(), `parse service tags "fuzz": `) {
			t.Fatalf("error %T %v with document %v", err, err, doc)
		}
		return
	}
	if verr := doc.Validate(); verr != nil {
		t.Fatalf("Validate rejects a parsed document: %v", verr)
	}
	if doc.PrefixCount() == 0 || doc.Cloud != f.Provider() {
		t.Fatalf("document %s from feed %s", doc, f)
	}
	root := map[netip.Prefix]bool{}
	if doc.Tags[0].Name == f.Provider() {
		for _, p := range doc.Tags[0].Prefixes {
			root[p] = true
		}
	}
	for i := range doc.Tags {
		tag := &doc.Tags[i]
		if tag.Platform != f.Provider() || tag.ID != tag.Name || !strings.HasPrefix(strings.ToLower(tag.Name), strings.ToLower(f.Provider())) {
			t.Fatalf("tag %+v of feed %s", tag, f)
		}
		if (doc.ChangeNumber != 0 && tag.ChangeNumber != doc.ChangeNumber) || tag.ChangeNumber <= 0 {
			t.Fatalf("tag %q changeNumber %d, document %d", tag.Name, tag.ChangeNumber, doc.ChangeNumber)
		}
		seen := map[netip.Prefix]bool{}
		for _, p := range tag.Prefixes {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" || seen[p] {
				t.Fatalf("tag %q: bad or duplicate prefix %v", tag.Name, p)
			}
			seen[p] = true
			if len(root) > 0 && !root[p] {
				t.Fatalf("tag %q: %v is not in the root tag %s", tag.Name, p, f.Provider())
			}
		}
	}
	checkRoundTrip(t, doc)
}

// FuzzParseGitHubMeta fuzzes api.github.com/meta documents.
func FuzzParseGitHubMeta(f *testing.F) {
	// A trimmed real document: lists, ssh keys, fingerprints, domains.
	f.Add([]byte(`{"verifiable_password_authentication":false,"ssh_key_fingerprints":{"SHA256_ED25519":"+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"},"ssh_keys":["ssh-ed25519 AAAAC3Nza/x"],"hooks":["192.30.252.0/22","2a0a:a440::/29"],"actions_macos":["13.105.117.0/31"],"domains":{"actions":["*.github.com"]}}`))
	// An empty list beside a full one.
	f.Add([]byte(`{"hooks":[],"git":["140.82.112.0/20"]}`))
	// A list mixing a CIDR and a host name.
	f.Add([]byte(`{"hooks":["192.30.252.0/22","github.com"]}`))
	// Host bits set and an IPv4-mapped prefix.
	f.Add([]byte(`{"web":["192.30.252.1/22","::ffff:1.2.3.0/120"]}`))
	// A key that cannot be a tag-name part.
	f.Add([]byte(`{"a,b":["10.0.0.0/8"]}`))
	// Duplicate keys and a key differing only by case.
	f.Add([]byte(`{"api":["10.0.0.0/8"],"API":["11.0.0.0/8"],"api":["12.0.0.0/8"]}`))
	// Not an object.
	f.Add([]byte(`["192.30.252.0/22"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseGitHubMeta("fuzz", data)
		checkFeedResult(t, FeedGitHub, doc, err)
		if err == nil && doc.ChangeNumber != 0 {
			t.Fatalf("GitHub meta has no version, got changeNumber %d", doc.ChangeNumber)
		}
	})
}

// FuzzParseAWS fuzzes ip-ranges.json documents.
func FuzzParseAWS(f *testing.F) {
	// A trimmed real document: v4 and v6, a Local Zone, GLOBAL.
	f.Add([]byte(`{"syncToken":"1753342410","createDate":"2025-07-24-07-33-30","prefixes":[{"ip_prefix":"3.4.12.4/32","region":"eu-west-1","service":"AMAZON","network_border_group":"eu-west-1"},{"ip_prefix":"15.181.232.0/21","region":"us-east-1","service":"EC2","network_border_group":"us-east-1-atl-1"},{"ip_prefix":"120.52.22.96/27","region":"GLOBAL","service":"CLOUDFRONT","network_border_group":"GLOBAL"}],"ipv6_prefixes":[{"ipv6_prefix":"2600:1f69:7400::/40","region":"mx-central-1","service":"AMAZON","network_border_group":"mx-central-1"}]}`))
	// A numeric syncToken and one prefix under two services.
	f.Add([]byte(`{"syncToken":7,"prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r","service":"AMAZON"},{"ip_prefix":"3.0.0.0/8","region":"r","service":"EC2"}]}`))
	// An IPv6 prefix in the IPv4 list.
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"2600::/16","region":"r","service":"S"}]}`))
	// A service whose name holds a dot, so AWS.A.B could collide.
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"B","service":"A"},{"ip_prefix":"4.0.0.0/8","region":"x","service":"A.B"}]}`))
	// Empty lists.
	f.Add([]byte(`{"syncToken":"1","createDate":"x","prefixes":[],"ipv6_prefixes":[]}`))
	// Truncated.
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.`))
	// Layouts the fast reader leaves to encoding/json: an escape, a key
	// matched case-insensitively, a repeated key, a number in an entry.
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.0.0\/8","region":"r","service":"S"}]}`))
	f.Add([]byte(`{"syncToken":"1","Prefixes":[{"IP_PREFIX":"3.0.0.0/8","region":"r","service":"S"}]}`))
	f.Add([]byte(`{"syncToken":"1","syncToken":null,"prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r","service":"S","n":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseAWS("fuzz", data)
		checkFeedResult(t, FeedAWS, doc, err)
		// The fast reader agrees with encoding/json whenever it answers.
		if fast, ok := awsFast(data); ok {
			var slow awsDoc
			if err := json.Unmarshal(trimBOM(data), &slow); err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("awsFast = %+v; encoding/json %+v, %v", fast, slow, err)
			}
		}
	})
}

// FuzzParseGoogle fuzzes cloud.json and goog.json documents with both
// parsers.
func FuzzParseGoogle(f *testing.F) {
	// A trimmed real cloud.json.
	f.Add([]byte(`{"syncToken":"1752264356993","creationTime":"2025-07-11T13:05:56.993643","prefixes":[{"ipv4Prefix":"34.1.208.0/20","service":"Google Cloud","scope":"africa-south1"},{"ipv6Prefix":"2600:1900:8000::/44","service":"Google Cloud","scope":"us-central1"}]}`))
	// A trimmed real goog.json.
	f.Add([]byte(`{"syncToken":"1714053903689","creationTime":"2024-04-25T07:05:03.68994","prefixes":[{"ipv4Prefix":"8.8.4.0/24"},{"ipv6Prefix":"2001:4860::/32"}]}`))
	// Both families in one entry, and neither.
	f.Add([]byte(`{"syncToken":"1","prefixes":[{"ipv4Prefix":"8.8.4.0/24","ipv6Prefix":"2001:4860::/32","scope":"s"},{"scope":"t"}]}`))
	// A scope with a space, and a negative syncToken.
	f.Add([]byte(`{"syncToken":"-4","prefixes":[{"ipv4Prefix":"8.8.4.0/24","scope":"us central1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseGoogleCloud("fuzz", data)
		checkFeedResult(t, FeedGoogleCloud, doc, err)
		goog, gerr := ParseGoogle("fuzz", data)
		checkFeedResult(t, FeedGoogle, goog, gerr)
		if err == nil && (gerr != nil || len(goog.Tags) != 1 || !reflect.DeepEqual(goog.Tags[0].Prefixes, doc.Tags[0].Prefixes)) {
			// Every cloud.json is a valid goog.json with the same union.
			t.Fatalf("ParseGoogle disagrees with ParseGoogleCloud: %v", gerr)
		}
	})
}

// FuzzParseOracle fuzzes public_ip_ranges.json documents.
func FuzzParseOracle(f *testing.F) {
	// A trimmed real document.
	f.Add([]byte(`{"last_updated_timestamp":"2025-07-11T06:06:25.451505","regions":[{"region":"us-ashburn-1","cidrs":[{"cidr":"129.80.0.0/16","tags":["OCI"]},{"cidr":"134.70.24.0/21","tags":["OBJECT_STORAGE"]}]},{"region":"us-phoenix-1","cidrs":[{"cidr":"207.127.124.0/23","tags":["OSN"]}]}]}`))
	// One CIDR in two regions.
	f.Add([]byte(`{"last_updated_timestamp":"2025-07-11T06:06:25","regions":[{"region":"a","cidrs":[{"cidr":"10.0.0.0/8"}]},{"region":"b","cidrs":[{"cidr":"10.0.0.0/8"}]}]}`))
	// A bad timestamp and a region repeated.
	f.Add([]byte(`{"last_updated_timestamp":"yesterday","regions":[{"region":"a","cidrs":[]},{"region":"a","cidrs":[{"cidr":"10.0.0.0/8"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseOracle("fuzz", data)
		checkFeedResult(t, FeedOracle, doc, err)
	})
}

// FuzzParseCloudflare fuzzes the text lists, split at the first NUL byte
// into the ips-v4 and ips-v6 downloads.
func FuzzParseCloudflare(f *testing.F) {
	// The real lists (trimmed), without a trailing newline.
	f.Add([]byte("173.245.48.0/20\n103.21.244.0/22\x002400:cb00::/32\n2606:4700::/32"))
	// One list only, CRLF, a BOM and blank lines.
	f.Add([]byte("\xef\xbb\xbf173.245.48.0/20\r\n\r\n"))
	// The HTML error page in place of the v4 list.
	f.Add([]byte("<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n</html>\x002400:cb00::/32"))
	// An empty second list, and a line cut short.
	f.Add([]byte("173.245.48.0/20\x00"))
	f.Add([]byte("173.245.48.0/20\n104.16.0.0/1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lists := bytes.SplitN(data, []byte{0}, 2)
		doc, err := ParseCloudflare("fuzz", lists...)
		checkFeedResult(t, FeedCloudflare, doc, err)
		if err != nil || len(lists) != 2 {
			return
		}
		// The union does not depend on the order of the lists.
		back, berr := ParseCloudflare("fuzz", lists[1], lists[0])
		if berr != nil || back.Digest() != doc.Digest() || back.Tags[0].ChangeNumber != doc.Tags[0].ChangeNumber {
			t.Fatalf("swapping the lists changed the result: %v", berr)
		}
	})
}

// FuzzParseFastly fuzzes public-ip-list documents.
func FuzzParseFastly(f *testing.F) {
	// A trimmed real document.
	f.Add([]byte(`{"addresses":["23.235.32.0/20","151.101.0.0/16"],"ipv6_addresses":["2a04:4e40::/32"]}`))
	// Families swapped.
	f.Add([]byte(`{"addresses":["2a04:4e40::/32"],"ipv6_addresses":["23.235.32.0/20"]}`))
	// Empty lists and a wrong type.
	f.Add([]byte(`{"addresses":[],"ipv6_addresses":[]}`))
	f.Add([]byte(`{"addresses":"23.235.32.0/20"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseFastly("fuzz", data)
		checkFeedResult(t, FeedFastly, doc, err)
	})
}

// FuzzParseFeed fuzzes detection: ParseFeed gives exactly what the parser
// of the detected feed gives, and never panics.
func FuzzParseFeed(f *testing.F) {
	// One seed of each layout.
	f.Add([]byte(`{"hooks":["192.30.252.0/22"]}`))
	f.Add([]byte(`{"syncToken":"1","createDate":"x","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r","service":"S"}]}`))
	f.Add([]byte(`{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.4.0/24","scope":"s"}]}`))
	f.Add([]byte(`{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.4.0/24"}]}`))
	f.Add([]byte(`{"last_updated_timestamp":"2025-07-11T06:06:25","regions":[{"region":"a","cidrs":[{"cidr":"10.0.0.0/8"}]}]}`))
	f.Add([]byte(`{"addresses":["23.235.32.0/20"]}`))
	f.Add([]byte("173.245.48.0/20\n"))
	f.Add([]byte(`{"changeNumber":1,"cloud":"Public","values":[{"name":"A","properties":{"addressPrefixes":["10.0.0.0/8"]}}]}`))
	// Unknown layouts.
	f.Add([]byte(`{"ranges":["10.0.0.0/8"]}`))
	f.Add([]byte("# comment\n10.0.0.0/8"))
	// Whitespace, escapes and a repeated key for the top-level scanner.
	f.Add([]byte(" {\"a\\\"b\" :\t[\"x]\", {\"}\":1}] , \"n\": -1.5e3,\"a\\\"b\":null}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// topLevel agrees with encoding/json on every valid object.
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) == nil && raw != nil {
			got, ok := topLevel(data)
			if !ok || len(got) != len(raw) {
				t.Fatalf("topLevel = %q, %v; encoding/json %q", got, ok, raw)
			}
			for k, v := range raw {
				if !bytes.Equal(got[k], v) {
					t.Fatalf("topLevel[%q] = %q, encoding/json %q", k, got[k], v)
				}
			}
		}
		doc, err := ParseFeed("fuzz", data)
		feed, derr := DetectFeed(data)
		if derr != nil {
			if err == nil {
				t.Fatalf("ParseFeed accepted what DetectFeed refuses: %v", derr)
			}
			return
		}
		want, werr := ParseFeedAs(feed, "fuzz", data)
		if (err == nil) != (werr == nil) || !reflect.DeepEqual(doc, want) {
			t.Fatalf("ParseFeed and ParseFeedAs(%s) disagree: %v / %v", feed, err, werr)
		}
		if feed != FeedAzure {
			checkFeedResult(t, feed, doc, err)
		}
	})
}
