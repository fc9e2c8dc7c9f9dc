package servicetag

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
