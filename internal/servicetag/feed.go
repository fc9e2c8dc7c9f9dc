package servicetag

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Feed names a published IP-range document format: Azure's service tags or
// another provider's list. The string is the name used by `serve --feeds`
// and the gateway configuration.
type Feed string

// The supported feeds.
const (
	FeedAzure       Feed = "azure"       // ServiceTags_<Cloud>_<date>.json or the discovery API: Parse
	FeedGitHub      Feed = "github"      // api.github.com/meta
	FeedAWS         Feed = "aws"         // ip-ranges.amazonaws.com/ip-ranges.json
	FeedGoogleCloud Feed = "googlecloud" // www.gstatic.com/ipranges/cloud.json
	FeedGoogle      Feed = "google"      // www.gstatic.com/ipranges/goog.json
	FeedOracle      Feed = "oracle"      // docs.oracle.com/…/public_ip_ranges.json
	FeedCloudflare  Feed = "cloudflare"  // www.cloudflare.com/ips-v4 and ips-v6 (text)
	FeedFastly      Feed = "fastly"      // api.fastly.com/public-ip-list
)

// Errors of the feed phase.
var (
	// ErrUnknownFeed is returned (inside a *DocumentError) when DetectFeed
	// or ParseFeed does not recognise a document's layout, and by
	// ParseFeedName for a name that is not a Feed.
	ErrUnknownFeed = errors.New("unrecognised service-tag document")
	// ErrNoPrefixes is returned (inside a *DocumentError) when a feed
	// document parses but lists no prefix at all, such as an empty list.
	ErrNoPrefixes = errors.New("no prefixes")
	// ErrWrongFeed is returned (inside a *DocumentError) by ParseFeedAs
	// for a document of another feed than the one expected.
	ErrWrongFeed = errors.New("wrong feed")
	// ErrDuplicateTag is returned by MergeFeeds when two documents define
	// the same tag name (case-insensitively).
	ErrDuplicateTag = errors.New("tag defined by two documents")
)

// feedInfo describes one feed: its provider (the Document's Cloud and each
// tag's Platform), a title for messages and its published URLs.
type feedInfo struct {
	provider string
	title    string
	urls     []string
}

var feeds = map[Feed]feedInfo{
	FeedAzure:       {"Azure", "Azure service tags", []string{"https://www.microsoft.com/en-us/download/details.aspx?id=56519"}},
	FeedGitHub:      {"GitHub", "GitHub meta", []string{"https://api.github.com/meta"}},
	FeedAWS:         {"AWS", "AWS ip-ranges", []string{"https://ip-ranges.amazonaws.com/ip-ranges.json"}},
	FeedGoogleCloud: {"GoogleCloud", "Google Cloud cloud.json", []string{"https://www.gstatic.com/ipranges/cloud.json"}},
	FeedGoogle:      {"Google", "Google goog.json", []string{"https://www.gstatic.com/ipranges/goog.json"}},
	FeedOracle:      {"OracleCloud", "Oracle public_ip_ranges", []string{"https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json"}},
	FeedCloudflare:  {"Cloudflare", "Cloudflare ips", []string{"https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"}},
	FeedFastly:      {"Fastly", "Fastly public-ip-list", []string{"https://api.fastly.com/public-ip-list"}},
}

// Feeds lists the non-Azure feeds in a fixed order.
func Feeds() []Feed {
	return []Feed{FeedGitHub, FeedAWS, FeedGoogleCloud, FeedGoogle, FeedOracle, FeedCloudflare, FeedFastly}
}

// ParseFeedName returns the Feed named s (case-insensitive, e.g. "GitHub").
func ParseFeedName(s string) (Feed, error) {
	f := Feed(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := feeds[f]; !ok {
		names := []string{string(FeedAzure)}
		for _, f := range Feeds() {
			names = append(names, string(f))
		}
		return "", fmt.Errorf("parse feed name %q: %w: want one of %s", s, ErrUnknownFeed, strings.Join(names, ", "))
	}
	return f, nil
}

// Provider returns the name the feed's documents carry as Cloud and their
// tags as Platform and name prefix ("GitHub", "AWS", …), or "" for an
// unknown feed.
func (f Feed) Provider() string { return feeds[f].provider }

// DefaultURLs returns the provider's published URLs of the feed's document
// (two for Cloudflare: ips-v4 and ips-v6, parsed together by
// ParseCloudflare). The caller must not modify the slice.
func (f Feed) DefaultURLs() []string { return feeds[f].urls }

// FeedOf returns the feed a tag came from, by its Platform: the non-Azure
// feed whose Provider it is, or FeedAzure for anything else (Azure's tags
// say "Azure" in the download format and nothing in the discovery API). A
// managed API that allows only Azure tags by default asks FeedOf(t) ==
// FeedAzure.
func FeedOf(t *Tag) Feed {
	for _, f := range Feeds() {
		if t.Platform == feeds[f].provider {
			return f
		}
	}
	return FeedAzure
}

func (f Feed) title() string {
	if info, ok := feeds[f]; ok {
		return info.title
	}
	return string(f)
}

// DetectFeed reports which feed data is, from its content alone (never a
// file name): the top-level keys of a JSON object, or a plain-text list of
// CIDRs (read as Cloudflare's, the one text feed), also as parts joined by
// a JoinSource. It does not validate the document; ParseFeed does.
func DetectFeed(data []byte) (Feed, error) {
	var p problems
	f, ok := detect(data, "", &p)
	if !ok {
		return "", errors.Join(p.errs...)
	}
	return f, nil
}

// detect is DetectFeed adding its reason, prefixed by label, to p.
func detect(data []byte, label string, p *problems) (Feed, bool) {
	data = trimBOM(data)
	if bytes.IndexByte(data, partSeparator) >= 0 {
		return FeedCloudflare, true // parts joined by a JoinSource; only text feeds come in parts
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' && trimmed[0] != '<' && trimmed[0] != '[' && trimmed[0] != '"' {
		first, _, _ := bytes.Cut(trimmed, []byte{'\n'})
		if _, err := netip.ParsePrefix(string(bytes.TrimSpace(first))); err == nil {
			return FeedCloudflare, true
		}
		p.addf("%s%w: not JSON, and its first line %q is not a CIDR of a text list", label, ErrUnknownFeed, truncate(string(bytes.TrimSpace(first)), 40))
		return "", false
	}
	if !looksLikeJSONObject(data, label, p) {
		return "", false
	}
	keys, ok := topLevel(data)
	if !ok {
		var v map[string]json.RawMessage
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("unexpected layout") // topLevel is stricter than JSON
		}
		decodeErrorOK(err, data, label, p)
		return "", false
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; ok {
				return true
			}
		}
		return false
	}
	switch {
	case has("values", "responses", "cloud", "changeNumber", "nextLink"):
		return FeedAzure, true
	case has("prefixes", "ipv6_prefixes") && has("createDate", "ipv6_prefixes"):
		return FeedAWS, true
	case has("prefixes") && has("creationTime"):
		if bytes.Contains(keys["prefixes"], []byte(`"scope"`)) || bytes.Contains(keys["prefixes"], []byte(`"service"`)) {
			return FeedGoogleCloud, true
		}
		return FeedGoogle, true
	case has("regions") && has("last_updated_timestamp"):
		return FeedOracle, true
	case has("addresses", "ipv6_addresses"):
		return FeedFastly, true
	case has("verifiable_password_authentication", "hooks", "actions", "git", "web", "api"):
		return FeedGitHub, true
	}
	top := make([]string, 0, len(keys))
	for k := range keys {
		top = append(top, truncate(k, 40))
	}
	slices.Sort(top)
	p.addf("%s%w: a JSON object with keys %s is none of azure, github, aws, googlecloud, google, oracle, fastly",
		label, ErrUnknownFeed, truncate(strings.Join(top, ", "), 200))
	return "", false
}

// ParseFeed detects the feed of data by its content (DetectFeed) and parses
// it with that feed's parser; Azure documents go to Parse, so ParseFeed
// accepts every supported format. name (a file name or URL) is used in
// error messages only. Every problem is reported in one *DocumentError
// whose problems name the feed.
func ParseFeed(name string, data []byte) (*Document, error) {
	var p problems
	f, ok := detect(data, "", &p)
	if !ok {
		return nil, p.err(name)
	}
	return parseAs(f, name, data)
}

// ParseFeedAs parses data as feed f, for a source whose feed is known: a
// document that DetectFeed recognises as another feed (a Fastly list where
// GitHub meta was expected, cloud.json for goog.json) is refused with
// ErrWrongFeed; one that it does not recognise is left to f's parser,
// which says what is missing.
func ParseFeedAs(f Feed, name string, data []byte) (*Document, error) {
	var p problems
	if _, ok := feeds[f]; !ok {
		p.addf("feed %q: %w", string(f), ErrUnknownFeed)
		return nil, p.err(name)
	}
	got, ok := detect(data, f.title()+": ", &p)
	switch {
	case !ok && (f == FeedCloudflare || errors.Is(errors.Join(p.errs...), ErrUnknownFeed)):
		return parseAs(f, name, data) // the text parser names its own problems
	case !ok:
		return nil, p.err(name)
	case got != f:
		p.addf("%s: %w: the document is %s", f.title(), ErrWrongFeed, got.title())
		return nil, p.err(name)
	}
	return parseAs(f, name, data)
}

// parseAs runs the parser of feed f, which must be known.
func parseAs(f Feed, name string, data []byte) (*Document, error) {
	switch f {
	case FeedGitHub:
		return ParseGitHubMeta(name, data)
	case FeedAWS:
		return ParseAWS(name, data)
	case FeedGoogleCloud:
		return ParseGoogleCloud(name, data)
	case FeedGoogle:
		return ParseGoogle(name, data)
	case FeedOracle:
		return ParseOracle(name, data)
	case FeedCloudflare:
		return ParseCloudflare(name, splitParts(data)...)
	case FeedFastly:
		return ParseFastly(name, data)
	}
	return Parse(name, data)
}

// MergeFeeds joins documents of different feeds (Azure's included) into one
// Document for one Catalog, so a lookup sees every cloud. Tags keep their
// own ChangeNumber and Platform. A tag name that two documents both define
// (case-insensitively) is an error wrapping ErrDuplicateTag; every such
// name is reported. Nil documents are skipped. The result's Cloud joins the
// documents' Clouds with "+"; its ChangeNumber is the single document's, or
// for several the sum of the Azure documents' (each feed keeps its own
// version in its tags), as a Set's merged catalog has it. Prefix slices are shared
// with the inputs, which must not be modified afterwards.
func MergeFeeds(docs ...*Document) (*Document, error) {
	var (
		clouds []string
		tags   []Tag
		errs   []error
		owner  = map[string]int{} // lower-case name → index into docs
		last   *Document
	)
	for i, d := range docs {
		if d == nil {
			continue
		}
		last = d
		clouds = append(clouds, d.Cloud)
		for j := range d.Tags {
			t := &d.Tags[j]
			key := strings.ToLower(t.Name)
			if k, dup := owner[key]; dup {
				errs = append(errs, fmt.Errorf("merge service tags: %w: %q of %s and %q of %s (names are case-insensitive)",
					ErrDuplicateTag, t.Name, d.Cloud, docs[k].findTag(key), docs[k].Cloud))
				continue
			}
			owner[key] = i
			tags = append(tags, *t)
		}
	}
	if len(clouds) == 0 {
		return nil, errors.New("merge service tags: no documents")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := &Document{Cloud: strings.Join(clouds, "+"), Format: last.Format, Tags: tags}
	for _, d := range docs {
		if d != nil && (len(clouds) == 1 || docFeed(d) == FeedAzure) {
			out.ChangeNumber += d.ChangeNumber
		}
	}
	return out, nil
}

// findTag returns the spelling of the tag whose lower-case name is key.
func (d *Document) findTag(key string) string {
	for i := range d.Tags {
		if strings.ToLower(d.Tags[i].Name) == key {
			return d.Tags[i].Name
		}
	}
	return key
}

// Digest returns a short content hash of d: the first 16 hex digits of a
// SHA-256 over every tag's lower-case name and its sorted, deduplicated
// prefixes, in name order. It is the version of a feed that publishes none
// (GitHub meta, Cloudflare, Fastly); formatting, order and duplicates do not
// change it.
func (d *Document) Digest() string {
	idx := make([]int, len(d.Tags))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return strings.Compare(strings.ToLower(d.Tags[a].Name), strings.ToLower(d.Tags[b].Name))
	})
	h := sha256.New()
	for _, i := range idx {
		writeTagHash(h, &d.Tags[i])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// tagDigest returns a positive 53-bit number (exact in JSON for every
// client) from t's name and prefix set: the ChangeNumber of a tag in a feed
// without versions, so a compiled set cached by (tag, changeNumber) is
// rebuilt whenever the prefixes change.
func tagDigest(t *Tag) int64 {
	h := sha256.New()
	writeTagHash(h, t)
	n := int64(binary.BigEndian.Uint64(h.Sum(nil)) & (1<<53 - 1))
	return max(n, 1)
}

type hashWriter interface{ Write([]byte) (int, error) }

func writeTagHash(h hashWriter, t *Tag) {
	h.Write([]byte(strings.ToLower(t.Name)))
	h.Write([]byte{0})
	for _, p := range sortedSet(t.Prefixes) {
		b, _ := p.MarshalBinary()
		h.Write(b)
	}
	h.Write([]byte{0})
}

// feedBuilder assembles one feed's Document: each tag's prefixes
// deduplicated, in the order first seen.
type feedBuilder struct {
	feed   Feed
	p      *problems
	tags   []Tag
	byName map[string]int
	seen   map[tagPrefixKey]struct{}
	total  int
}

type tagPrefixKey struct {
	tag int
	pfx netip.Prefix
}

// newFeedBuilder returns a builder expecting about hint (tag, prefix)
// pairs.
func newFeedBuilder(f Feed, p *problems, hint int) *feedBuilder {
	return &feedBuilder{feed: f, p: p, byName: map[string]int{}, seen: make(map[tagPrefixKey]struct{}, hint)}
}

// tag returns the index of the tag named name, creating it with region and
// service.
func (b *feedBuilder) tag(name, region, service string) int {
	if i, ok := b.byName[name]; ok {
		return i
	}
	b.byName[name] = len(b.tags)
	b.tags = append(b.tags, Tag{Name: name, ID: name, Region: region, Platform: b.feed.Provider(), SystemService: service})
	return len(b.tags) - 1
}

// add puts pfx in tag i unless it is there already.
func (b *feedBuilder) add(i int, pfx netip.Prefix) {
	k := tagPrefixKey{i, pfx}
	if _, dup := b.seen[k]; dup {
		return
	}
	b.seen[k] = struct{}{}
	b.tags[i].Prefixes = append(b.tags[i].Prefixes, pfx)
	b.total++
}

// loc locates an entry of a document for messages, a[i]b[j]c (j < 0:
// a[i]b; line: "a i"), formatted only when a problem is reported.
type loc struct {
	a    string
	i    int
	b    string
	j    int
	c    string
	line bool
}

func (l loc) String() string {
	switch {
	case l.line && l.i < 0:
		return l.a
	case l.line:
		return fmt.Sprintf("%s %d", l.a, l.i)
	case l.j < 0:
		return fmt.Sprintf("%s[%d]%s", l.a, l.i, l.b)
	}
	return fmt.Sprintf("%s[%d]%s[%d]%s", l.a, l.i, l.b, l.j, l.c)
}

// at returns l with its last part replaced by field (".service").
func (l loc) at(field string) loc {
	if l.j < 0 {
		l.b = field
	} else {
		l.c = field
	}
	return l
}

// prefix parses s, found at where, as a canonical prefix of the wanted
// family (4, 6, or 0 for either), adding a problem when it is not.
func (b *feedBuilder) prefix(where loc, s string, family int) (netip.Prefix, bool) {
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		b.p.addf("%s: %s %q is not a CIDR prefix: %w", b.feed.title(), where, truncate(s, 60), err)
	case pfx.Addr().Zone() != "":
		b.p.addf("%s: %s %q has a zone", b.feed.title(), where, s)
	case pfx.Addr().Is4In6():
		b.p.addf("%s: %s %q is an IPv4-mapped IPv6 prefix; write it as IPv4", b.feed.title(), where, s)
	case pfx.Masked() != pfx:
		b.p.addf("%s: %s %q has host bits set; the canonical prefix is %q", b.feed.title(), where, s, pfx.Masked().String())
	case family == 4 && !pfx.Addr().Is4(), family == 6 && !pfx.Addr().Is6():
		b.p.addf("%s: %s %q is not an IPv%d prefix", b.feed.title(), where, s, family)
	default:
		return pfx, true
	}
	return netip.Prefix{}, false
}

// nameOK reports whether a name segment taken from the document (a
// region, service, scope or key) is safe in a tag name: letters, digits,
// '-' and '_' only, so a tag name never holds a separator of an
// authorized-ranges list.
func (b *feedBuilder) nameOK(where loc, s string) bool {
	ok := s != "" && len(s) <= 80
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			ok = false
			break
		}
	}
	if !ok {
		b.p.addf("%s: %s %q is not a usable tag-name part (letters, digits, '-', '_')", b.feed.title(), where, truncate(s, 60))
	}
	return ok
}

// build finishes the Document: the root tag (named after the provider)
// first, then the others by name. A published version becomes the
// document's and every tag's ChangeNumber; without one (version 0) each
// tag's ChangeNumber is its tagDigest. It validates the result as Parse
// does and refuses a document with no prefix at all.
func (b *feedBuilder) build(name string, version int64) (*Document, error) {
	if b.total == 0 && b.p.ok() {
		b.p.addf("%s: %w: the document lists no address prefix", b.feed.title(), ErrNoPrefixes)
	}
	root := b.feed.Provider()
	slices.SortStableFunc(b.tags, func(x, y Tag) int {
		switch {
		case x.Name == y.Name:
			return 0
		case x.Name == root:
			return -1
		case y.Name == root:
			return 1
		}
		return strings.Compare(x.Name, y.Name)
	})
	for i := range b.tags {
		t := &b.tags[i]
		t.ChangeNumber = version
		if version == 0 {
			t.ChangeNumber = tagDigest(t)
		}
	}
	doc := &Document{Cloud: root, ChangeNumber: version, Format: FormatDownload, Tags: b.tags}
	if b.p.ok() {
		doc.validate(b.p, false)
	}
	if err := b.p.err(name); err != nil {
		return nil, err
	}
	return doc, nil
}
