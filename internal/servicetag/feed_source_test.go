package servicetag

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// partServer serves one body per path with an ETag, answering 304 to a
// matching If-None-Match, or a status when one is set.
type partServer struct {
	mu     sync.Mutex
	bodies map[string]string
	status map[string]int
}

func (s *partServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, status := s.bodies[r.URL.Path], s.status[r.URL.Path]
	s.mu.Unlock()
	if status != 0 {
		http.Error(w, "boom", status)
		return
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(body)))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Write([]byte(body))
}

func (s *partServer) set(path, body string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies[path], s.status[path] = body, status
}

// TestJoinSourceCloudflare fetches Cloudflare's two lists through one
// JoinSource from an HTTP server and parses them with ParseFeed: both
// lists make one tag, a list that is not modified keeps its last bytes,
// and an error page, an empty list or a failed request in either part
// refuses the whole document.
func TestJoinSourceCloudflare(t *testing.T) {
	v4 := string(sharedFile(t, "cloudflare-ips-v4-2024-10-29.txt"))
	v6 := string(sharedFile(t, "cloudflare-ips-v6-2023-10-11.txt"))
	srv := &partServer{bodies: map[string]string{"/ips-v4": v4, "/ips-v6": v6}, status: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src, err := NewFeedSource(FeedCloudflare, HTTPOptions{}, ts.URL+"/ips-v4", ts.URL+"/ips-v6")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*JoinSource); !ok || src.String() != ts.URL+"/ips-v4 + "+ts.URL+"/ips-v6" {
		t.Fatalf("source %T %q", src, src)
	}
	ctx := context.Background()
	fetch := func() ([]byte, bool, error) { t.Helper(); return src.Fetch(ctx) }
	prefixes := func(data []byte) int {
		t.Helper()
		doc, err := ParseFeed(src.String(), data)
		if err != nil {
			t.Fatal(err)
		}
		return doc.PrefixCount()
	}

	data, notModified, err := fetch()
	if err != nil || notModified || prefixes(data) != 22 {
		t.Fatalf("first fetch: %d bytes, %v, %v", len(data), notModified, err)
	}
	if _, notModified, err := fetch(); err != nil || !notModified {
		t.Fatalf("unchanged: notModified %v, %v", notModified, err)
	}
	srv.set("/ips-v6", v6+"\n2001:db8::/32", 0) // v4 answers 304, v6 changed
	if data, _, err = fetch(); err != nil || prefixes(data) != 23 {
		t.Fatalf("one part changed: %v", err)
	}

	errPage := string(sharedFile(t, "cloudflare-ips-v4-error500-2024-10-29.html"))
	for _, tt := range []struct {
		name, path, body string
		status           int
		fetchErr, want   string
	}{
		{"error page in ips-v4", "/ips-v4", errPage, 0, "", "list 1 is not a list of CIDRs: it looks like HTML"},
		{"empty ips-v6", "/ips-v6", "", 0, "", "list 2: empty document"},
		{"ips-v6 answers 500", "/ips-v6", v6, 500, "fetch part 2 of", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv.set("/ips-v4", v4, 0)
			srv.set("/ips-v6", v6, 0)
			if _, _, err := fetch(); err != nil {
				t.Fatal(err)
			}
			srv.set(tt.path, tt.body, tt.status)
			data, _, err := fetch()
			if tt.fetchErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fetchErr) {
					t.Fatalf("fetch error %v, want %q", err, tt.fetchErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if doc, err := ParseFeed(src.String(), data); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseFeed = %v, %v; want an error with %q", doc, err, tt.want)
			}
		})
	}
}

func TestNewFeedSource(t *testing.T) {
	gh, err := NewFeedSource(FeedGitHub, HTTPOptions{})
	if err != nil || gh.String() != "https://api.github.com/meta" {
		t.Errorf("github: %v %v", gh, err)
	}
	if _, ok := gh.(*HTTPSource); !ok {
		t.Errorf("github source is a %T", gh)
	}
	cf, err := NewFeedSource(FeedCloudflare, HTTPOptions{})
	if err != nil || cf.String() != "https://www.cloudflare.com/ips-v4 + https://www.cloudflare.com/ips-v6" {
		t.Errorf("cloudflare: %v %v", cf, err)
	}
	if _, err := NewFeedSource(Feed("akamai"), HTTPOptions{}); !errors.Is(err, ErrUnknownFeed) {
		t.Errorf("unknown feed: %v", err)
	}
	// Local copies of both lists, joined.
	files, err := NewFeedSource(FeedCloudflare, HTTPOptions{}, sharedPath(t, "cloudflare-ips-v4-2024-10-29.txt"), sharedPath(t, "cloudflare-ips-v6-2023-10-11.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := files.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := DetectFeed(data); f != FeedCloudflare {
		t.Errorf("DetectFeed of joined parts = %q", f)
	}
	doc, err := ParseFeed(files.String(), data)
	if err != nil || len(doc.Tags) != 1 || doc.PrefixCount() != 22 {
		t.Fatalf("ParseFeed: %v, %v", doc, err)
	}
	if v4, v6 := doc.Tags[0].PrefixCount(); v4 != 15 || v6 != 7 {
		t.Errorf("Cloudflare v4/v6 = %d/%d, want 15/7", v4, v6)
	}
	if _, _, err := NewJoinSource().Fetch(context.Background()); err == nil {
		t.Errorf("a join source with no parts fetched")
	}
}

// TestKeeperKeepsLastGoodFeed runs the real Keeper on feeds through
// AsDownload: the error page, a truncated document and an empty list are
// refused with an error naming the feed, and the last good version stays
// in force; a new good version replaces it.
func TestKeeperKeepsLastGoodFeed(t *testing.T) {
	v4 := sharedFile(t, "cloudflare-ips-v4-2024-10-29.txt")
	v6 := sharedFile(t, "cloudflare-ips-v6-2023-10-11.txt")
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte{0}) }
	errPage := sharedFile(t, "cloudflare-ips-v4-error500-2024-10-29.html")
	oracleOld := sharedFile(t, "oracle-public-ip-ranges-2025-07-11.json")
	oracleNew := sharedFile(t, "oracle-public-ip-ranges-2025-07-21.json")
	tests := []struct {
		name       string
		feed       Feed
		good, next []byte
		bad        [][]byte
		want       []string // substrings of each bad refresh's error
		tag        string
		goodCount  int
		nextCount  int
	}{
		{"cloudflare", FeedCloudflare, join(v4, v6), join(v4, v6, []byte("2001:db8::/32")),
			[][]byte{join(errPage, v6), join(v4, nil), join(v4[:len(v4)-5], v6)},
			[]string{"cloudflare feed", "Cloudflare ips"}, "Cloudflare", 22, 23},
		{"oracle", FeedOracle, oracleOld, oracleNew,
			[][]byte{oracleNew[:len(oracleNew)/2], []byte(`{"last_updated_timestamp":"2025-07-22T00:00:00","regions":[]}`), errPage},
			[]string{"oracle feed", "Oracle public_ip_ranges"}, "OracleCloud", 842, 896},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &seqSource{}
			k := NewKeeper(AsDownload(tt.feed, src), WithCacheFile(filepath.Join(t.TempDir(), "cache.json")))
			count := func() int {
				tag, ok := k.Current().Lookup(tt.tag)
				if !ok {
					t.Fatalf("%s not in force", tt.tag)
				}
				return len(tag.Prefixes)
			}
			src.push(fetchResult{data: tt.good})
			if _, err := k.Refresh(context.Background(), false); err != nil || count() != tt.goodCount {
				t.Fatalf("good document: %v", err)
			}
			for i, bad := range tt.bad {
				src.push(fetchResult{data: bad})
				changed, err := k.Refresh(context.Background(), false)
				if err == nil || changed {
					t.Fatalf("bad document %d accepted", i)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("bad document %d: error lacks %q: %v", i, w, err)
					}
				}
				if count() != tt.goodCount || k.Status().LastError == nil {
					t.Fatalf("bad document %d: the last good document is not in force", i)
				}
			}
			src.push(fetchResult{notModified: true})
			if changed, err := k.Refresh(context.Background(), false); err != nil || changed {
				t.Fatalf("not modified: %v, %v", changed, err)
			}
			src.push(fetchResult{data: tt.next})
			if changed, err := k.Refresh(context.Background(), false); err != nil || !changed || count() != tt.nextCount {
				t.Fatalf("next document: %v, %v, %d prefixes", changed, err, count())
			}
			// The cache holds the download form, which LoadCache reads back.
			k2 := NewKeeper(nil, WithCacheFile(k.cacheFile))
			if err := k2.LoadCache(); err != nil || len(k2.Current().Document().Tags) != len(k.Current().Document().Tags) {
				t.Fatalf("LoadCache: %v", err)
			}
		})
	}
}
