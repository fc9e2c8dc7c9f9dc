package servicetag

import (
	"encoding/json"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// feedFile is one real feed document of shared/testdata/servicetags.
type feedFile struct {
	name, file   string
	feed         Feed
	changeNumber int64 // 0: the feed has no version
	tags         int
	// counts written from SOURCES.md (v4, v6) for a few tags, beside the
	// reference parser's count of every tag.
	counts map[string][2]int
}

var feedFiles = []feedFile{
	{"github meta", "github-meta-2025-07-21.json", FeedGitHub, 0, 13, map[string][2]int{
		"GitHub.Hooks": {4, 2}, "GitHub.Web": {19, 2}, "GitHub.Api": {19, 2}, "GitHub.Git": {34, 2},
		"GitHub.GithubEnterpriseImporter": {6, 2}, "GitHub.Packages": {24, 0}, "GitHub.Pages": {6, 4},
		"GitHub.Importer": {5, 0}, "GitHub.Actions": {4335, 972}, "GitHub.ActionsMacos": {311, 0},
		"GitHub.Codespaces": {185, 0}, "GitHub.Dependabot": {3, 0}, "GitHub.Copilot": {13, 2},
	}},
	// 1 + 25 services + 586 (service, region) pairs; AWS is the 9,065
	// distinct prefixes of 13,342 entries.
	{"aws", "aws-ip-ranges-2025-07-24T07-33-30.json", FeedAWS, 1753342410, 612, map[string][2]int{
		"AWS.AMAZON": {5170, 2113}, "AWS.EC2.us-east-1": {248, 159},
	}},
	{"google cloud 2025-07-11", "google-cloud-2025-07-11.json", FeedGoogleCloud, 1752264356993, 47, map[string][2]int{
		"GoogleCloud": {734, 46}, "GoogleCloud.us-east1": {36, 1},
	}},
	{"google cloud 2025-07-24", "google-cloud-2025-07-24.json", FeedGoogleCloud, 1753409788780, 47, map[string][2]int{"GoogleCloud": {736, 46}}},
	{"google cloud 2024-04-25", "google-cloud-2024-04-25.json", FeedGoogleCloud, 1714053903689, 45, map[string][2]int{"GoogleCloud": {617, 44}}},
	{"goog", "google-goog-2024-04-25.json", FeedGoogle, 1714053903689, 1, map[string][2]int{"Google": {73, 11}}},
	// last_updated_timestamp 2025-07-11T06:06:25 UTC.
	{"oracle 2025-07-11", "oracle-public-ip-ranges-2025-07-11.json", FeedOracle, 1752213985, 46, map[string][2]int{
		"OracleCloud": {842, 0}, "OracleCloud.us-ashburn-1": {67, 0},
	}},
	{"oracle 2025-07-21", "oracle-public-ip-ranges-2025-07-21.json", FeedOracle, 1753082005, 46, map[string][2]int{
		"OracleCloud": {896, 0}, "OracleCloud.us-ashburn-1": {68, 0},
	}},
	{"cloudflare v4", "cloudflare-ips-v4-2024-10-29.txt", FeedCloudflare, 0, 1, map[string][2]int{"Cloudflare": {15, 0}}},
	{"cloudflare v6", "cloudflare-ips-v6-2023-10-11.txt", FeedCloudflare, 0, 1, map[string][2]int{"Cloudflare": {0, 7}}},
	{"fastly", "fastly-public-ip-list-2024-10-08.json", FeedFastly, 0, 1, map[string][2]int{"Fastly": {19, 2}}},
}

// feedDoc parses a shared feed file with ParseFeed, once per test binary
// (Azure files go through sharedDoc).
func feedDoc(tb testing.TB, file string) *Document {
	tb.Helper()
	parsedMu.Lock()
	defer parsedMu.Unlock()
	key := "feed:" + file
	if d, ok := parsed[key]; ok {
		return d
	}
	d, err := ParseFeed(file, sharedFile(tb, file))
	if err != nil {
		tb.Fatalf("ParseFeed(%s): %v", file, err)
	}
	parsed[key] = d
	return d
}

// TestFeedRealDocuments checks every feed file: detected by content, tag
// and per-tag v4/v6 counts equal to the reference parser's, the counts
// written from SOURCES.md, versions, and a lossless download-format round
// trip.
func TestFeedRealDocuments(t *testing.T) {
	for _, tt := range feedFiles {
		t.Run(tt.name, func(t *testing.T) {
			data := sharedFile(t, tt.file)
			if got, err := DetectFeed(data); got != tt.feed || err != nil {
				t.Fatalf("DetectFeed = %q, %v; want %q", got, err, tt.feed)
			}
			doc := feedDoc(t, tt.file)
			if doc.Cloud != tt.feed.Provider() || doc.ChangeNumber != tt.changeNumber || len(doc.Tags) != tt.tags {
				t.Errorf("got %s, want %s changeNumber %d (%d tags)", doc, tt.feed.Provider(), tt.changeNumber, tt.tags)
			}
			if doc.Tags[0].Name != tt.feed.Provider() && tt.feed != FeedGitHub {
				t.Errorf("first tag %q, want the root %q", doc.Tags[0].Name, tt.feed.Provider())
			}
			if got, want := docCounts(doc), refCounts(t, tt.feed, data); !maps.Equal(got, want) {
				t.Errorf("per-tag counts differ from the reference parser:\n got %v\nwant %v", got, want)
			}
			cat := NewCatalog(doc)
			for name, want := range tt.counts {
				tag, ok := cat.Lookup(strings.ToLower(name))
				if !ok || tag.Name != name {
					t.Fatalf("Lookup(%q) = %v, %v", strings.ToLower(name), tag, ok)
				}
				if v4, v6 := tag.PrefixCount(); [2]int{v4, v6} != want {
					t.Errorf("%s v4/v6 = %d/%d, want %v", name, v4, v6, want)
				}
			}
			for i := range doc.Tags {
				tag := &doc.Tags[i]
				if tag.Platform != tt.feed.Provider() || tag.ID != tag.Name || tag.ChangeNumber <= 0 {
					t.Errorf("tag %q: platform %q, id %q, changeNumber %d", tag.Name, tag.Platform, tag.ID, tag.ChangeNumber)
				}
				if tt.changeNumber != 0 && tag.ChangeNumber != tt.changeNumber {
					t.Errorf("tag %q changeNumber %d, want the document's %d", tag.Name, tag.ChangeNumber, tt.changeNumber)
				}
			}
			if err := doc.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			checkRoundTrip(t, doc)
		})
	}
}

// TestFeedAWSRegions checks the region rule on the real document: a Local
// Zone's prefix (network_border_group us-east-1-atl-1) is in its parent
// region's tag, and GLOBAL prefixes are in AWS.<SERVICE>.GLOBAL only.
func TestFeedAWSRegions(t *testing.T) {
	data := sharedFile(t, "aws-ip-ranges-2025-07-24T07-33-30.json")
	var raw struct {
		Prefixes []map[string]string `json:"prefixes"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(feedDoc(t, "aws-ip-ranges-2025-07-24T07-33-30.json"))
	var local, global int
	for _, e := range raw.Prefixes {
		addr := netip.MustParsePrefix(e["ip_prefix"]).Addr()
		names := cat.ContainingNames(addr)
		regional := "AWS." + e["service"] + "." + e["region"]
		if !slices.Contains(names, regional) {
			t.Fatalf("%s (border group %s) is not in %s: %v", e["ip_prefix"], e["network_border_group"], regional, names)
		}
		switch {
		case e["network_border_group"] == "us-east-1-atl-1":
			local++
		case e["region"] == "GLOBAL":
			global++
		}
	}
	if local == 0 || global == 0 {
		t.Fatalf("the document has %d us-east-1-atl-1 and %d GLOBAL prefixes; the test needs both", local, global)
	}
	for _, name := range []string{"AWS.EC2.us-east-1-atl-1", "AWS.us-east-1", "AWS.GLOBAL"} {
		if _, ok := cat.Lookup(name); ok {
			t.Errorf("tag %q exists; Local Zones and GLOBAL are no tags of their own", name)
		}
	}
	if _, ok := cat.Lookup("aws.cloudfront.global"); !ok {
		t.Errorf("AWS.CLOUDFRONT.GLOBAL is missing")
	}
}

// compileTag compiles a one-entry list naming tag, as a route compiler
// does: the tag's prefixes become a TagSet the list references.
func compileTag(tb testing.TB, tag *Tag) *allowlist.List {
	tb.Helper()
	var b allowlist.Builder
	b.AddTag(allowlist.NewTagSet(tag.Name, tag.ChangeNumber, tag.Prefixes), tag.Name)
	l, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestFeedAllowlist checks that an address inside each feed's tag is
// admitted by a list naming that tag and refused by lists naming other
// tags that do not hold it, with the lists compiled from one catalog of
// every feed merged with Azure's Public document.
func TestFeedAllowlist(t *testing.T) {
	cf, err := ParseCloudflare("cloudflare", sharedFile(t, "cloudflare-ips-v4-2024-10-29.txt"), sharedFile(t, "cloudflare-ips-v6-2023-10-11.txt"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := MergeFeeds(sharedDoc(t, "azure-public-2025-10-13.json"), feedDoc(t, "github-meta-2025-07-21.json"),
		feedDoc(t, "aws-ip-ranges-2025-07-24T07-33-30.json"), feedDoc(t, "google-cloud-2025-07-24.json"),
		feedDoc(t, "oracle-public-ip-ranges-2025-07-21.json"), cf, feedDoc(t, "fastly-public-ip-list-2024-10-08.json"))
	if err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(merged)
	tests := []struct {
		tag, addr string
		others    []string // lists that must refuse addr
	}{
		{"GitHub.Actions", "4.148.0.1", []string{"GitHub.Hooks", "Cloudflare", "AWS"}},
		{"GitHub.Actions", "2a01:111:f403:f90c::1", []string{"GitHub.Hooks", "Fastly"}},
		{"AWS.EC2.us-east-1", "", []string{"AWS.EC2.us-west-2", "GitHub.Actions", "Fastly"}},
		{"GoogleCloud.us-central1", "", []string{"GoogleCloud.us-east1", "AWS", "OracleCloud"}},
		{"OracleCloud.us-ashburn-1", "129.80.0.1", []string{"OracleCloud.us-phoenix-1", "GoogleCloud", "Fastly"}},
		{"Cloudflare", "104.16.0.1", []string{"Fastly", "AWS", "AzureCloud"}},
		{"Cloudflare", "2606:4700::1", []string{"Fastly", "GitHub.Actions"}},
		{"Fastly", "151.101.1.1", []string{"Cloudflare", "GitHub.Pages"}},
	}
	for _, tt := range tests {
		t.Run(tt.tag+" "+tt.addr, func(t *testing.T) {
			tag, ok := cat.Lookup(strings.ToUpper(tt.tag))
			if !ok {
				t.Fatalf("%s is not in the merged catalog", tt.tag)
			}
			addr := netip.Addr{}
			if tt.addr != "" {
				addr = netip.MustParseAddr(tt.addr)
			} else {
				addr = tag.Prefixes[len(tag.Prefixes)/2].Addr().Next()
			}
			if !naiveContains(tag.Prefixes, addr) {
				t.Fatalf("test premise: %v is not in %s", addr, tt.tag)
			}
			if !compileTag(t, tag).Contains(addr) {
				t.Errorf("a list naming %s refuses %v", tt.tag, addr)
			}
			if !slices.Contains(cat.ContainingNames(addr), tag.Name) {
				t.Errorf("lookup %v = %v, lacks %s", addr, cat.ContainingNames(addr), tag.Name)
			}
			for _, o := range tt.others {
				other, ok := cat.Lookup(o)
				if !ok {
					t.Fatalf("%s is not in the merged catalog", o)
				}
				if naiveContains(other.Prefixes, addr) {
					t.Fatalf("test premise: %v is also in %s", addr, o)
				}
				if compileTag(t, other).Contains(addr) {
					t.Errorf("a list naming %s admits %v of %s", o, addr, tt.tag)
				}
			}
		})
	}
}

// TestFeedDiff diffs the two Google Cloud and the two Oracle documents of
// different dates (SOURCES.md lists what changed).
func TestFeedDiff(t *testing.T) {
	tests := []struct {
		name, old, new   string
		changed          []string // every changed tag
		plus, minus      int      // over the changed tags
		rootPlus, rootMn int      // of the root tag
	}{
		{"google cloud 07-11 to 07-24", "google-cloud-2025-07-11.json", "google-cloud-2025-07-24.json",
			[]string{"GoogleCloud", "GoogleCloud.europe-west12", "GoogleCloud.us-west1"}, 4, 0, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diff(feedDoc(t, tt.old), feedDoc(t, tt.new))
			checkFeedDiff(t, d, tt.changed, tt.plus, tt.minus, tt.rootPlus, tt.rootMn)
		})
	}
	t.Run("oracle 07-11 to 07-21", func(t *testing.T) {
		old, new := feedDoc(t, "oracle-public-ip-ranges-2025-07-11.json"), feedDoc(t, "oracle-public-ip-ranges-2025-07-21.json")
		d := Diff(old, new)
		if len(d.Added) != 0 || len(d.Removed) != 0 || len(d.Changed) != 34 {
			t.Fatalf("added %v, removed %v, %d changed; want 33 regions and OracleCloud changed", d.Added, d.Removed, len(d.Changed))
		}
		for _, c := range d.Changed {
			if c.Name == "OracleCloud" && (len(c.AddedPrefixes) != 55 || len(c.RemovedPrefixes) != 1 || c.RemovedPrefixes[0].String() != "207.127.124.0/23") {
				t.Errorf("OracleCloud +%d/-%d %v, want +55/-1 207.127.124.0/23", len(c.AddedPrefixes), len(c.RemovedPrefixes), c.RemovedPrefixes)
			}
			if c.Name == "OracleCloud.us-phoenix-1" && (len(c.AddedPrefixes) != 2 || len(c.RemovedPrefixes) != 1) {
				t.Errorf("us-phoenix-1 +%d/-%d, want +2/-1", len(c.AddedPrefixes), len(c.RemovedPrefixes))
			}
		}
		if d.OldChangeNumber >= d.NewChangeNumber {
			t.Errorf("version did not go forward: %d → %d", d.OldChangeNumber, d.NewChangeNumber)
		}
	})
}

func checkFeedDiff(t *testing.T, d DiffResult, changed []string, plus, minus, rootPlus, rootMinus int) {
	t.Helper()
	var names []string
	for _, c := range d.Changed {
		names = append(names, c.Name)
		if c.NewChangeNumber <= c.OldChangeNumber {
			t.Errorf("%s changed but changeNumber %d → %d", c.Name, c.OldChangeNumber, c.NewChangeNumber)
		}
		if c.Name == changed[0] && (len(c.AddedPrefixes) != rootPlus || len(c.RemovedPrefixes) != rootMinus) {
			t.Errorf("%s +%d/-%d, want +%d/-%d", c.Name, len(c.AddedPrefixes), len(c.RemovedPrefixes), rootPlus, rootMinus)
		}
	}
	if !slices.Equal(names, changed) || len(d.Added) != 0 || len(d.Removed) != 0 {
		t.Errorf("changed %v added %v removed %v; want changed %v", names, d.Added, d.Removed, changed)
	}
	if p, m := d.PrefixCounts(); p != plus || m != minus {
		t.Errorf("+%d/-%d prefixes, want +%d/-%d", p, m, plus, minus)
	}
}

// TestFeedUnversionedChangeNumber checks that a tag of a feed without
// versions gets a new ChangeNumber exactly when its prefixes change, so a
// compiled set cached by (tag, changeNumber) is never stale.
func TestFeedUnversionedChangeNumber(t *testing.T) {
	old, err := ParseGitHubMeta("a", []byte(`{"hooks": ["192.30.252.0/22"], "web": ["140.82.112.0/20"], "verifiable_password_authentication": false}`))
	if err != nil {
		t.Fatal(err)
	}
	// Reordered and reformatted, one key changed.
	new, err := ParseGitHubMeta("b", []byte(`{"web":["140.82.112.0/20", "140.82.112.0/20"],"hooks":["192.30.252.0/22","185.199.108.0/22"]}`))
	if err != nil {
		t.Fatal(err)
	}
	cn := func(d *Document, name string) int64 { tag, _ := NewCatalog(d).Lookup(name); return tag.ChangeNumber }
	if cn(old, "GitHub.Web") != cn(new, "GitHub.Web") {
		t.Errorf("GitHub.Web did not change but its changeNumber did")
	}
	if cn(old, "GitHub.Hooks") == cn(new, "GitHub.Hooks") {
		t.Errorf("GitHub.Hooks changed but its changeNumber did not")
	}
	if old.Digest() == new.Digest() || old.ChangeNumber != 0 {
		t.Errorf("digests %s %s, changeNumber %d", old.Digest(), new.Digest(), old.ChangeNumber)
	}
	same, _ := ParseGitHubMeta("c", []byte(`{"web": ["140.82.112.0/20"], "hooks": ["192.30.252.0/22"]}`))
	if same.Digest() != old.Digest() {
		t.Errorf("Digest depends on order or formatting: %s vs %s", same.Digest(), old.Digest())
	}
}

// TestAWSFastReader checks that the real AWS document takes the fast path
// and that it decodes exactly what encoding/json decodes.
func TestAWSFastReader(t *testing.T) {
	data := sharedFile(t, "aws-ip-ranges-2025-07-24T07-33-30.json")
	fast, ok := awsFast(data)
	if !ok {
		t.Fatal("the real document does not take the fast path")
	}
	var slow awsDoc
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, slow) || len(fast.Prefixes) != 8969 || len(fast.IPv6) != 4373 {
		t.Fatalf("fast and encoding/json differ (%d/%d entries)", len(fast.Prefixes), len(fast.IPv6))
	}
	for _, tt := range []string{
		`{"syncToken":"1","prefixes":[{"ip_prefix":"3.0.0.0\\/8"}]}`, // an escape
		`{"syncToken":"1","Prefixes":[]}`,                            // a case-insensitive match
		`{"syncToken":"1","prefixes":[],"prefixes":[]}`,              // a repeated key
		`{"syncToken":"1","prefixes":[{"ip_prefix":1}]}`,             // a number
		`{"syncToken":"1","prefixes":null}`,
		`{"syncToken":"1","x":[tru]}`,
	} {
		if _, ok := awsFast([]byte(tt)); ok {
			t.Errorf("awsFast took %s", tt)
		}
	}
}

// TestFeedDiffGitHub diffs the real GitHub meta against a later version
// made from it (shared/testdata holds one GitHub document): copilot
// dropped, a prefix added to hooks, the rest reordered. Tags of a feed
// without versions change changeNumber exactly when their prefixes change.
func TestFeedDiffGitHub(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(sharedFile(t, "github-meta-2025-07-21.json"), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "copilot")
	m["hooks"] = append([]any{"203.0.113.0/24"}, m["hooks"].([]any)...)
	web := m["web"].([]any)
	slices.Reverse(web)
	later, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	old := feedDoc(t, "github-meta-2025-07-21.json")
	new, err := ParseFeed("later", later)
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(old, new)
	if !slices.Equal(d.Removed, []string{"GitHub.Copilot"}) || len(d.Added) != 0 || len(d.Changed) != 1 ||
		d.Changed[0].Name != "GitHub.Hooks" || len(d.Changed[0].AddedPrefixes) != 1 || d.Changed[0].AddedPrefixes[0].String() != "203.0.113.0/24" {
		t.Fatalf("diff = %+v", d)
	}
	if d.Changed[0].OldChangeNumber == d.Changed[0].NewChangeNumber {
		t.Errorf("GitHub.Hooks changed but kept changeNumber %d", d.Changed[0].OldChangeNumber)
	}
	oldCat, newCat := NewCatalog(old), NewCatalog(new)
	a, _ := oldCat.Lookup("GitHub.Web")
	b, _ := newCat.Lookup("GitHub.Web")
	if a.ChangeNumber != b.ChangeNumber {
		t.Errorf("GitHub.Web only reordered but changeNumber %d → %d", a.ChangeNumber, b.ChangeNumber)
	}
	if old.Digest() == new.Digest() {
		t.Errorf("Digest unchanged")
	}
}
