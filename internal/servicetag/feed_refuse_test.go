package servicetag

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestFeedRefused checks that bad documents are refused with an error
// naming the input and the feed: the real Cloudflare error page, truncated
// real files, empty lists, and broken entries.
func TestFeedRefused(t *testing.T) {
	errPage := sharedFile(t, "cloudflare-ips-v4-error500-2024-10-29.html")
	v4 := sharedFile(t, "cloudflare-ips-v4-2024-10-29.txt")
	parse := func(f Feed) func(string, []byte) (*Document, error) {
		return func(name string, data []byte) (*Document, error) { return ParseFeedAs(f, name, data) }
	}
	tests := []struct {
		name  string
		parse func(string, []byte) (*Document, error)
		data  []byte
		want  []string // substrings of the error
		is    error    // nil: no sentinel expected
	}{
		{"error page as cloudflare", parse(FeedCloudflare), errPage, []string{"Cloudflare ips", "the list is not a list of CIDRs", "looks like HTML", "<title>500 Internal Server"}, nil},
		{"error page detected", ParseFeed, errPage, []string{"looks like HTML"}, ErrNotJSON},
		{"error page as github", parse(FeedGitHub), errPage, []string{"GitHub meta", "looks like HTML"}, ErrNotJSON},
		{"empty cloudflare", parse(FeedCloudflare), []byte(" \n"), []string{"Cloudflare ips"}, ErrEmpty},
		{"empty file detected", ParseFeed, nil, []string{"empty document"}, ErrEmpty},
		{"empty fastly lists", ParseFeed, []byte(`{"addresses":[],"ipv6_addresses":[]}`), []string{"Fastly public-ip-list", "no prefixes"}, ErrNoPrefixes},
		{"empty aws lists", ParseFeed, []byte(`{"syncToken":"1","createDate":"x","prefixes":[],"ipv6_prefixes":[]}`), []string{"AWS ip-ranges"}, ErrNoPrefixes},
		{"empty google list", ParseFeed, []byte(`{"syncToken":"1","creationTime":"x","prefixes":[]}`), []string{"Google goog.json"}, ErrNoPrefixes},
		{"empty oracle", ParseFeed, []byte(`{"last_updated_timestamp":"2025-07-11T06:06:25.451505","regions":[]}`), []string{"Oracle public_ip_ranges"}, ErrNoPrefixes},
		{"empty github lists", ParseFeed, []byte(`{"hooks":[],"verifiable_password_authentication":false}`), []string{"GitHub meta"}, ErrNoPrefixes},
		{"github with no lists", parse(FeedGitHub), []byte(`{"verifiable_password_authentication":false}`), []string{"GitHub meta"}, ErrNoPrefixes},
		{"truncated github", ParseFeed, sharedFile(t, "github-meta-2025-07-21.json")[:60000], []string{"invalid JSON"}, nil},
		{"truncated aws", parse(FeedAWS), sharedFile(t, "aws-ip-ranges-2025-07-24T07-33-30.json")[:100000], []string{"AWS ip-ranges", "invalid JSON"}, nil},
		{"truncated google", parse(FeedGoogleCloud), sharedFile(t, "google-cloud-2025-07-24.json")[:5000], []string{"Google Cloud cloud.json", "invalid JSON"}, nil},
		{"truncated oracle", parse(FeedOracle), sharedFile(t, "oracle-public-ip-ranges-2025-07-21.json")[:5000], []string{"Oracle", "invalid JSON"}, nil},
		{"truncated fastly", parse(FeedFastly), sharedFile(t, "fastly-public-ip-list-2024-10-08.json")[:200], []string{"Fastly", "invalid JSON"}, nil},
		// Cut inside the last line: "…104.24.0.0/14\n172.64.0.0/1".
		{"truncated cloudflare mid-line", ParseFeed, v4[:len(v4)-5], []string{"Cloudflare ips: line 15"}, nil},
		{"cloudflare second list broken", func(n string, d []byte) (*Document, error) { return ParseCloudflare(n, v4, d) }, errPage, []string{"list 2 is not a list of CIDRs"}, nil},
		{"cloudflare second list missing", func(n string, d []byte) (*Document, error) { return ParseCloudflare(n, v4, d) }, []byte{}, []string{"list 2"}, ErrEmpty},
		{"cloudflare json", parse(FeedCloudflare), []byte(`{"result":{}}`), []string{"looks like JSON"}, nil},
		{"host bits", ParseFeed, []byte("10.1.0.0/8\n"), []string{`"10.1.0.0/8" has host bits set; the canonical prefix is "10.0.0.0/8"`}, nil},
		{"mapped v6", ParseFeed, []byte(`{"addresses":["::ffff:10.0.0.0/104"]}`), []string{"IPv4-mapped"}, nil},
		{"aws v6 in v4 field", ParseFeed, []byte(`{"syncToken":"1","createDate":"x","prefixes":[{"ip_prefix":"2600::/16","region":"r","service":"S"}]}`), []string{"prefixes[0].ip_prefix", "not an IPv4 prefix"}, nil},
		{"aws no syncToken", parse(FeedAWS), []byte(`{"prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r","service":"S"}]}`), []string{"syncToken is missing"}, nil},
		{"aws bad syncToken", parse(FeedAWS), []byte(`{"syncToken":"soon","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r","service":"S"}]}`), []string{"syncToken", "not an integer"}, nil},
		{"aws region with comma", parse(FeedAWS), []byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"us,east","service":"S"}]}`), []string{`prefixes[0].region "us,east" is not a usable tag-name part`}, nil},
		{"aws no service", parse(FeedAWS), []byte(`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"r"}]}`), []string{`prefixes[0].service ""`}, nil},
		{"google both families", parse(FeedGoogleCloud), []byte(`{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.8.0/24","ipv6Prefix":"2001:4860::/32","scope":"s"}]}`), []string{"has both"}, nil},
		{"goog.json as cloud.json", parse(FeedGoogleCloud), []byte(`{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.8.0/24"}]}`), []string{"Google Cloud cloud.json: wrong feed: the document is Google goog.json"}, ErrWrongFeed},
		{"google no scope", func(n string, d []byte) (*Document, error) { return ParseGoogleCloud(n, d) }, []byte(`{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.8.0/24"}]}`), []string{"prefixes[0].scope"}, nil},
		{"oracle bad time", parse(FeedOracle), []byte(`{"last_updated_timestamp":"yesterday","regions":[{"region":"r","cidrs":[{"cidr":"129.80.0.0/16"}]}]}`), []string{"last_updated_timestamp \"yesterday\""}, nil},
		{"github mixed list", parse(FeedGitHub), []byte(`{"hooks":["192.30.252.0/22","example.com"]}`), []string{`GitHub meta: hooks[1] "example.com" is not a CIDR prefix`}, nil},
		{"github mistyped prefix", parse(FeedGitHub), []byte(`{"hooks":["192.30.252/22"]}`), []string{`hooks[0] "192.30.252/22" is not a CIDR prefix`}, nil},
		{"github wrong type", parse(FeedGitHub), []byte(`["192.30.252.0/22"]`), []string{"GitHub meta", "not a JSON document"}, ErrNotJSON},
		{"fastly wrong type", parse(FeedFastly), []byte(`{"addresses":"23.235.32.0/20"}`), []string{"Fastly public-ip-list", "wrong type"}, nil},
		{"unknown json", ParseFeed, []byte(`{"ranges":["10.0.0.0/8"]}`), []string{"keys ranges"}, ErrUnknownFeed},
		{"unknown text", ParseFeed, []byte("hello\n10.0.0.0/8\n"), []string{`first line "hello"`}, ErrUnknownFeed},
		{"unknown feed name", parse(Feed("akamai")), v4, []string{`feed "akamai"`}, ErrUnknownFeed},
		{"fastly list as github", parse(FeedGitHub), sharedFile(t, "fastly-public-ip-list-2024-10-08.json"), []string{"GitHub meta: wrong feed: the document is Fastly public-ip-list"}, ErrWrongFeed},
		{"cloud.json as goog.json", parse(FeedGoogle), sharedFile(t, "google-cloud-2025-07-11.json"), []string{"Google goog.json: wrong feed: the document is Google Cloud cloud.json"}, ErrWrongFeed},
		{"aws as azure", parse(FeedAzure), sharedFile(t, "aws-ip-ranges-2025-07-24T07-33-30.json"), []string{"Azure service tags: wrong feed: the document is AWS ip-ranges"}, ErrWrongFeed},
		{"azure through ParseFeed", ParseFeed, []byte(`{"changeNumber":1,"cloud":"Public","values":[]}`), []string{"no tags"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := tt.parse("input.x", tt.data)
			if err == nil {
				t.Fatalf("accepted: %s", doc)
			}
			if doc != nil {
				t.Errorf("returned a document with the error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `parse service tags "input.x": `) {
				t.Errorf("error does not name the input: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v) = false: %v", tt.is, err)
			}
			var de *DocumentError
			if !errors.As(err, &de) {
				t.Errorf("not a *DocumentError: %T", err)
			}
		})
	}
}

// TestFeedAccepted covers what a feed may legitimately contain.
func TestFeedAccepted(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		feed  Feed
		tags  []string
		count int // prefixes over all tags
	}{
		{"cloudflare crlf, bom, blank lines", "\xef\xbb\xbf173.245.48.0/20\r\n\r\n2400:cb00::/32\r\n", FeedCloudflare, []string{"Cloudflare"}, 2},
		{"github ignores non-cidr keys", `{"ssh_keys":["ssh-ed25519 AAAA/x"],"domains":{"actions":["*.github.com"]},"ssh_key_fingerprints":{"a":"b"},"verifiable_password_authentication":false,"hooks":["192.30.252.0/22"],"empty":[]}`,
			FeedGitHub, []string{"GitHub.Empty", "GitHub.Hooks"}, 1},
		{"github dedupes within a key", `{"actions":["4.148.0.0/16","4.148.0.0/16"]}`, FeedGitHub, []string{"GitHub.Actions"}, 1},
		{"aws numeric syncToken, shared prefix", `{"syncToken":7,"createDate":"x","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"us-east-1","service":"AMAZON"},{"ip_prefix":"3.0.0.0/8","region":"us-east-1","service":"EC2"}],"ipv6_prefixes":[]}`,
			FeedAWS, []string{"AWS", "AWS.AMAZON", "AWS.AMAZON.us-east-1", "AWS.EC2", "AWS.EC2.us-east-1"}, 5},
		{"goog", `{"syncToken":"5","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.8.0/24"},{"ipv6Prefix":"2001:4860::/32"}]}`, FeedGoogle, []string{"Google"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f, err := DetectFeed([]byte(tt.data)); f != tt.feed {
				t.Fatalf("DetectFeed = %q, %v", f, err)
			}
			doc, err := ParseFeed("x", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for i := range doc.Tags {
				names = append(names, doc.Tags[i].Name)
			}
			if strings.Join(names, " ") != strings.Join(tt.tags, " ") || doc.PrefixCount() != tt.count {
				t.Errorf("tags %v (%d prefixes), want %v (%d)", names, doc.PrefixCount(), tt.tags, tt.count)
			}
		})
	}
}

func TestPascalCase(t *testing.T) {
	for in, want := range map[string]string{
		"actions": "Actions", "actions_macos": "ActionsMacos", "hooks": "Hooks",
		"github_enterprise_importer": "GithubEnterpriseImporter", "a-b_c": "ABC", "API": "API", "v2_x": "V2X",
	} {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFeedName(t *testing.T) {
	tests := []struct {
		in   string
		want Feed
		err  bool
	}{
		{"github", FeedGitHub, false}, {" GitHub ", FeedGitHub, false}, {"AWS", FeedAWS, false},
		{"googlecloud", FeedGoogleCloud, false}, {"azure", FeedAzure, false}, {"gcp", "", true}, {"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFeedName(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseFeedName(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, f := range Feeds() {
		if f.Provider() == "" || len(f.DefaultURLs()) == 0 || !strings.HasPrefix(f.DefaultURLs()[0], "https://") {
			t.Errorf("feed %q: provider %q, urls %v", f, f.Provider(), f.DefaultURLs())
		}
	}
	if n := len(FeedCloudflare.DefaultURLs()); n != 2 {
		t.Errorf("Cloudflare has %d URLs, want ips-v4 and ips-v6", n)
	}
}

func TestMergeFeeds(t *testing.T) {
	gh := feedDoc(t, "github-meta-2025-07-21.json")
	fastly := feedDoc(t, "fastly-public-ip-list-2024-10-08.json")
	m, err := MergeFeeds(gh, nil, fastly)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cloud != "GitHub+Fastly" || len(m.Tags) != 14 || m.ChangeNumber != 0 || m.Validate() != nil {
		t.Errorf("merged %s: %v", m, m.Validate())
	}
	one, err := MergeFeeds(feedDoc(t, "google-goog-2024-04-25.json"))
	if err != nil || one.ChangeNumber != 1714053903689 {
		t.Errorf("one document: %v, %v", one, err)
	}
	// A name two documents define, differently spelt, is refused.
	clash := &Document{Cloud: "Custom", Tags: []Tag{{Name: "github.actions"}, {Name: "FASTLY"}}}
	_, err = MergeFeeds(gh, fastly, clash)
	if !errors.Is(err, ErrDuplicateTag) || !strings.Contains(err.Error(), `"github.actions" of Custom and "GitHub.Actions" of GitHub`) ||
		!strings.Contains(err.Error(), `"FASTLY" of Custom and "Fastly" of Fastly`) {
		t.Errorf("got %v", err)
	}
	if _, err := MergeFeeds(gh, gh); !errors.Is(err, ErrDuplicateTag) {
		t.Errorf("the same feed twice: %v", err)
	}
	if _, err := MergeFeeds(); err == nil {
		t.Errorf("no documents accepted")
	}
}

func TestFeedOf(t *testing.T) {
	merged, err := MergeFeeds(sharedDoc(t, "azure-public-2025-10-13.json"), sharedDoc(t, "azure-discovery-api-example-ServiceTagsList-2023-09-01.json").withPrefix("X"),
		feedDoc(t, "github-meta-2025-07-21.json"), feedDoc(t, "aws-ip-ranges-2025-07-24T07-33-30.json"))
	if err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(merged)
	for name, want := range map[string]Feed{"AzureCloud": FeedAzure, "XApiManagement": FeedAzure, "GitHub.Actions": FeedGitHub, "AWS.EC2.us-east-1": FeedAWS} {
		tag, ok := cat.Lookup(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if got := FeedOf(tag); got != want {
			t.Errorf("FeedOf(%s) = %q, want %q", name, got, want)
		}
	}
}

// withPrefix returns a copy of d whose tag names start with p.
func (d *Document) withPrefix(p string) *Document {
	c := *d
	c.Tags = slices.Clone(d.Tags)
	for i := range c.Tags {
		c.Tags[i].Name = p + c.Tags[i].Name
	}
	return &c
}
