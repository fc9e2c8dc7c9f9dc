package servicetag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSetGitHubOffline: a GitHub feed source whose URL does not answer
// still has GitHub.Actions in force, from the embedded snapshot, and says
// so with the document's content hash as its version.
func TestSetGitHubOffline(t *testing.T) {
	f := newFeed(t, nil)
	f.down.Store(true)
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, f.srv.URL)}, CacheDir: t.TempDir()})
	if _, err := s.Refresh(context.Background()); err == nil {
		t.Fatal("refresh of a feed that is down: no error")
	}
	tag, ok := s.Current().Lookup("github.actions")
	if !ok || tag.Name != "GitHub.Actions" || len(tag.Prefixes) != 4335+972 {
		t.Fatalf("GitHub.Actions offline: %v, %+v", ok, tag)
	}
	src := s.Status().Sources[0]
	want := "embedded snapshot, version " + src.Digest + ", published 2025-07-21"
	if src.Origin != OriginEmbedded || src.Feed != FeedGitHub || src.Digest == "" || src.InForce != want {
		t.Fatalf("status %+v, want in force %q", src, want)
	}
}

// TestSetFeedConfirmsSnapshot: the live GitHub document equal to the
// snapshot confirms it (nothing installed); the same content with its lists
// reordered is the same version (Digest), so it is not installed either.
func TestSetFeedConfirmsSnapshot(t *testing.T) {
	raw := sharedFile(t, "github-meta-2025-07-21.json")
	f := newFeed(t, raw)
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, f.srv.URL)}})
	ctx := context.Background()
	if changed, err := s.Refresh(ctx); changed || err != nil {
		t.Fatalf("live document = snapshot: changed %v, err %v", changed, err)
	}
	if st := s.Status(); st.Sources[0].Origin != OriginLive || st.Counters.Installs != 0 {
		t.Fatalf("after confirming: %+v", st)
	}
	f.set(reorderGitHub(t, raw))
	if changed, err := s.Refresh(ctx); changed || err != nil {
		t.Fatalf("reordered document: changed %v, err %v", changed, err)
	}
	if st := s.Status(); st.Counters.Installs != 0 || st.Sources[0].Held != nil {
		t.Fatalf("reordered document installed or held: %+v", st)
	}
}

// TestSetFeedWedge: a GitHub document without the actions list is held
// while GitHub.Actions is in use, and the messages name versions by
// content hash (the feed has no change number).
func TestSetFeedWedge(t *testing.T) {
	raw := sharedFile(t, "github-meta-2025-07-21.json")
	f := newFeed(t, raw)
	inUse := func() []string { return []string{"GitHub.Actions"} }
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, f.srv.URL)}, InUse: inUse})
	ctx := context.Background()
	f.set(dropGitHubKey(t, raw, "actions"))
	changed, err := s.Refresh(ctx)
	if changed || !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), `tag "GitHub.Actions" is in use and would disappear`) ||
		!strings.Contains(err.Error(), "(version ") || strings.Contains(err.Error(), "changeNumber 0") {
		t.Fatalf("document without actions: changed %v, err %v", changed, err)
	}
	src := s.Status().Sources[0]
	if src.Held == nil || src.Held.Digest == "" || src.Held.Digest == src.Digest || src.Held.RegressionOnly {
		t.Fatalf("held: %+v", src.Held)
	}
	if _, n := inForce(s, "GitHub.Actions"); n != 4335+972 {
		t.Fatalf("GitHub.Actions has %d prefixes in force", n)
	}
	f.set(raw)
	if changed, err := s.Refresh(ctx); changed || err != nil || s.Status().Sources[0].Held != nil {
		t.Fatalf("the document in force again: changed %v, err %v", changed, err)
	}
}

// TestSetFeedNames is the multi-source rule across feeds: first source
// wins among sources of one feed (a mirror), a name two feeds define is
// refused at fetch, at load and at accept, and a document of another feed
// than the source's is refused.
func TestSetFeedNames(t *testing.T) {
	clash := azureWith(t, "GitHub.Actions") // an Azure document defining a GitHub name
	ctx := context.Background()
	t.Run("fetch", func(t *testing.T) {
		az := newFeed(t, clash)
		s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, "http://127.0.0.1:1/meta"), {Location: az.srv.URL}}})
		_, err := s.RefreshSource(ctx, az.srv.URL)
		want := `service tags from "` + az.srv.URL + `": tag defined by two documents: "GitHub.Actions" is also defined by "http://127.0.0.1:1/meta" (feed github; names are case-insensitive)`
		if !errors.Is(err, ErrDuplicateTag) || err.Error() != want {
			t.Fatalf("clashing fetch: %v\nwant %s", err, want)
		}
		st := s.Status()
		if st.Sources[1].Tags != 0 || st.Counters.Rejected != 1 || st.Sources[0].Tags == 0 {
			t.Fatalf("status after the clash: %+v", st)
		}
		if _, err := s.AcceptDocument(az.srv.URL, clash); !errors.Is(err, ErrDuplicateTag) {
			t.Fatalf("AcceptDocument of a clash: %v", err)
		}
	})
	t.Run("load", func(t *testing.T) {
		dir := t.TempDir()
		azURL := "http://127.0.0.1:1/azure.json"
		if err := os.WriteFile(filepath.Join(dir, CacheName(azURL, ".json")), clash, 0o600); err != nil {
			t.Fatal(err)
		}
		log, _ := testLog()
		s, err := NewSet(SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, "http://127.0.0.1:1/meta"), {Location: azURL}},
			CacheDir: dir, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Load(); !errors.Is(err, ErrDuplicateTag) || !strings.Contains(err.Error(), `load service tags of "`+azURL+`"`) {
			t.Fatalf("Load with a clashing cache: %v", err)
		}
		if st := s.Status(); st.Sources[0].Tags == 0 || st.Sources[1].Tags != 0 || st.Sources[1].Origin != OriginNone {
			t.Fatalf("status: %+v", st.Sources)
		}
		if tag, _ := s.Current().Lookup("GitHub.Actions"); tag.Platform != "GitHub" {
			t.Fatalf("GitHub.Actions from %q", tag.Platform)
		}
	})
	t.Run("mirror", func(t *testing.T) {
		raw := sharedFile(t, "github-meta-2025-07-21.json")
		a, b := newFeed(t, dropGitHubKey(t, raw, "hooks")), newFeed(t, raw)
		s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{
			{Feed: FeedGitHub, Location: a.srv.URL}, {Feed: FeedGitHub, Location: b.srv.URL}}})
		if _, err := s.Refresh(ctx); err != nil {
			t.Fatalf("two sources of one feed: %v", err)
		}
		st := s.Status()
		if st.Sources[1].Shadowed != st.Sources[0].Tags {
			t.Fatalf("mirror shadowed %d, want %d", st.Sources[1].Shadowed, st.Sources[0].Tags)
		}
		if _, ok := s.Current().Lookup("GitHub.Hooks"); !ok {
			t.Fatal("GitHub.Hooks of the second source missing")
		}
	})
	t.Run("source given", func(t *testing.T) {
		raw := sharedFile(t, "github-meta-2025-07-21.json")
		f := newFeed(t, dropGitHubKey(t, raw, "hooks"))
		plain, _ := NewHTTPSource(f.srv.URL, HTTPOptions{})
		wrapped := func() Source { // a new one each: an HTTPSource remembers its ETag
			src, _ := NewFeedSource(FeedGitHub, HTTPOptions{}, f.srv.URL)
			return AsDownload(FeedGitHub, src)
		}
		for _, sc := range []SourceConfig{
			{Feed: FeedGitHub, Location: "plain", Source: plain},       // the feed's own format
			{Feed: FeedGitHub, Location: "wrapped", Source: wrapped()}, // already converted
			{Location: "no feed field", Source: wrapped()},             // feed told by the document
		} {
			s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{sc}})
			if _, err := s.Refresh(ctx); err != nil {
				t.Fatalf("%s: %v", sc.Location, err)
			}
			if s.Current() == nil {
				t.Fatalf("%s: no catalog: %+v", sc.Location, s.Status())
			}
			if _, ok := s.Current().Lookup("GitHub.Hooks"); ok || s.Status().Sources[0].Feed != FeedGitHub {
				t.Fatalf("%s: %+v", sc.Location, s.Status().Sources[0])
			}
		}
	})
	t.Run("wrong feed", func(t *testing.T) {
		fastly, err := ParseFastly("fastly", sharedFile(t, "fastly-public-ip-list-2024-10-08.json"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := MarshalDownload(fastly)
		s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{FeedSourceConfig(FeedGitHub, "http://127.0.0.1:1/meta")}})
		if _, err := s.Install("", data); !errors.Is(err, ErrWrongFeed) || !strings.Contains(err.Error(), "the source is feed github, the document is fastly") {
			t.Fatalf("Install of a Fastly document on the GitHub source: %v", err)
		}
	})
}

// TestSetEveryFeed loads every feed from loopback servers serving the real
// documents, and finds the tags named in the issue, across clouds, by an
// address of theirs.
func TestSetEveryFeed(t *testing.T) {
	files := map[Feed][]string{
		FeedGitHub:      {"github-meta-2025-07-21.json"},
		FeedAWS:         {"aws-ip-ranges-2025-07-24T07-33-30.json"},
		FeedGoogleCloud: {"google-cloud-2025-07-24.json"},
		FeedGoogle:      {"google-goog-2024-04-25.json"},
		FeedOracle:      {"oracle-public-ip-ranges-2025-07-21.json"},
		FeedCloudflare:  {"cloudflare-ips-v4-2024-10-29.txt", "cloudflare-ips-v6-2023-10-11.txt"},
		FeedFastly:      {"fastly-public-ip-list-2024-10-08.json"},
	}
	var sources []SourceConfig
	for _, f := range Feeds() {
		var urls []string
		for _, name := range files[f] {
			urls = append(urls, newFeed(t, sharedFile(t, name)).srv.URL)
		}
		sources = append(sources, FeedSourceConfig(f, urls...))
	}
	s, _ := newTestSet(t, SetConfig{Sources: sources, CacheDir: t.TempDir()})
	if _, err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cat := s.Current()
	for _, name := range []string{"GitHub.Actions", "AWS.EC2.us-east-1", "GoogleCloud.us-central1", "Google",
		"OracleCloud.us-ashburn-1", "Cloudflare", "Fastly"} {
		t.Run(name, func(t *testing.T) {
			tag, ok := cat.Lookup(name)
			if !ok {
				t.Fatalf("%s not in force", name)
			}
			for _, p := range []int{0, len(tag.Prefixes) - 1} { // an IPv4 and (usually) an IPv6 address
				addr := tag.Prefixes[p].Addr()
				if !slices.Contains(cat.ContainingNames(addr), tag.Name) {
					t.Errorf("%v: %s not among %v", addr, tag.Name, cat.ContainingNames(addr))
				}
			}
		})
	}
	// The cache holds the download form: a new Set loads every feed from it.
	s2, _ := newTestSet(t, SetConfig{Sources: sources, CacheDir: s.cfg.CacheDir})
	if st := s2.Status(); st.Tags != s.Status().Tags || st.Sources[1].Origin != OriginCache {
		t.Fatalf("from the cache: %d tags (want %d), %+v", st.Tags, s.Status().Tags, st.Sources[1])
	}
}

// azureWith returns an Azure download document (the China file) with one
// more tag named name.
func azureWith(tb testing.TB, name string) []byte {
	tb.Helper()
	d := *sharedDoc(tb, "azure-china-2026-07-13.json")
	extra := d.Tags[0]
	extra.Name, extra.ID = name, name
	d.Tags = append(slices.Clone(d.Tags), extra)
	out, err := MarshalDownload(&d)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// githubMeta decodes a GitHub meta document keeping every value raw.
func githubMeta(tb testing.TB, raw []byte) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// dropGitHubKey returns raw without key.
func dropGitHubKey(tb testing.TB, raw []byte, key string) []byte {
	tb.Helper()
	m := githubMeta(tb, raw)
	delete(m, key)
	out, _ := json.Marshal(m)
	return out
}

// reorderGitHub returns raw with every list of strings reversed.
func reorderGitHub(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	m := githubMeta(tb, raw)
	for k, v := range m {
		var list []string
		if json.Unmarshal(v, &list) == nil && len(list) > 1 {
			slices.Reverse(list)
			m[k], _ = json.Marshal(list)
		}
	}
	out, _ := json.Marshal(m)
	if bytes.Equal(out, raw) {
		tb.Fatal("reorderGitHub changed nothing")
	}
	return out
}

func TestParseFeedList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Feed
		err      string
	}{
		{name: "every feed", in: "github,aws,googlecloud,google,oracle,cloudflare,fastly", want: Feeds()},
		{name: "case and spaces", in: " GitHub , AWS,", want: []Feed{FeedGitHub, FeedAWS}},
		{name: "empty", in: "", want: nil},
		{name: "unknown", in: "github,azur", err: `parse feeds "github,azur": parse feed name "azur": unrecognised service-tag document: want one of azure, github, aws, googlecloud, google, oracle, cloudflare, fastly`},
		{name: "azure", in: "azure", err: `parse feed name "azure": Azure's service tags are not one of the other clouds' feeds`},
		{name: "twice", in: "aws,AWS", err: `parse feed name "AWS": aws is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFeedList(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	srcs := FeedSources([]Feed{FeedGitHub, FeedCloudflare})
	if srcs[0].Snapshot != "github-meta" || srcs[0].Name() != "https://api.github.com/meta" ||
		srcs[1].Snapshot != "" || srcs[1].Name() != "https://www.cloudflare.com/ips-v4 + https://www.cloudflare.com/ips-v6" {
		t.Fatalf("FeedSources: %+v", srcs)
	}
}
