package gwconfig

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// serveFile serves a shared document on loopback and returns its URL.
func serveFile(tb testing.TB, name string) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(mustAbs(serviceTagsDir), name))
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(data) }))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestGatewayFeeds: serviceTags names feeds per source (url, urls, the
// published default); a route of the standalone gateway names any number
// of tags of any loaded feed and admits exactly their addresses.
func TestGatewayFeeds(t *testing.T) {
	yaml := fmt.Sprintf(`listen: 127.0.0.1:0
serviceTags:
  - source: %s
  - {feed: github, url: %s}
  - {feed: AWS, source: %s}
  - {feed: cloudflare, urls: [%s, %s]}
  - {feed: fastly, url: %s}
routes:
  - sni: api.example.test
    upstream: 127.0.0.1:1
    authorizedIPRanges: [AzureCloud, GitHub.Actions, aws.ec2.us-east-1, Cloudflare, Fastly, GitHub.Hooks]
`, filepath.Join(mustAbs(serviceTagsDir), "azure-china-2026-07-13.json"), serveFile(t, "github-meta-2025-07-21.json"),
		serveFile(t, "aws-ip-ranges-2025-07-24T07-33-30.json"), serveFile(t, "cloudflare-ips-v4-2024-10-29.txt"),
		serveFile(t, "cloudflare-ips-v6-2023-10-11.txt"), serveFile(t, "fastly-public-ip-list-2024-10-08.json"))
	c, err := Parse("feeds.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := gateway.New(gateway.Config{})
	r := NewRunner("feeds.yaml", gw, RunnerOptions{Log: slog.New(slog.NewTextHandler(&testutil.SyncBuffer{}, nil)), CacheDir: t.TempDir()})
	t.Cleanup(r.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	st := r.Status()
	for i, want := range []servicetag.Feed{"", servicetag.FeedGitHub, servicetag.FeedAWS, servicetag.FeedCloudflare, servicetag.FeedFastly} {
		if src := st.Sources[i]; src.Tags == 0 || src.Feed != want {
			t.Fatalf("source %d: %+v", i, src)
		}
	}
	routes := gw.Routes()
	if len(routes) != 1 || routes[0].Allow == nil {
		t.Fatalf("routes %+v", routes)
	}
	cat := r.ServiceTags().Current()
	for _, name := range []string{"GitHub.Actions", "AWS.EC2.us-east-1", "Cloudflare", "Fastly", "AzureCloud"} {
		tag, _ := cat.Lookup(name)
		for _, p := range []netip.Prefix{tag.Prefixes[0], tag.Prefixes[len(tag.Prefixes)-1]} {
			if !routes[0].Allow.Contains(p.Addr()) {
				t.Errorf("%s: %v refused", name, p.Addr())
			}
		}
	}
	for _, a := range []string{"192.0.2.1", "2001:db8::1"} {
		if routes[0].Allow.Contains(netip.MustParseAddr(a)) {
			t.Errorf("%s admitted", a)
		}
	}
}

// TestGatewayFeedKeys: the feed keys are checked with the file.
func TestGatewayFeedKeys(t *testing.T) {
	tests := []struct{ name, sources, want string }{
		{"unknown feed", "[{feed: githup}]", `serviceTags[0].feed: parse feed name "githup"`},
		{"source and url", "[{feed: aws, source: a.json, url: b.json}]", "serviceTags[0]: source and url are one key; give one"},
		{"urls without a feed", "[{source: a.json, urls: [b]}]", "serviceTags[0].urls: only for another cloud's feed"},
		{"source and urls", "[{feed: cloudflare, source: a, urls: [b]}]", "serviceTags[0]: give source or urls, not both"},
		{"a feed twice", "[{feed: github}, {feed: GitHub}]", `serviceTags[1] "https://api.github.com/meta": listed twice`},
		{"azure needs a source", "[{feed: azure}]", "serviceTags[0].source: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte("listen: 127.0.0.1:0\nserviceTags: "+tt.sources+"\nroutes: [{upstream: 127.0.0.1:1, authorizedIPRanges: [GitHub.Actions]}]\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	c, err := Parse("x.yaml", []byte("listen: 127.0.0.1:0\nserviceTags: [{feed: github}, {feed: cloudflare}]\nroutes: [{upstream: 127.0.0.1:1, authorizedIPRanges: [GitHub.Actions]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	srcs := c.TagSources()
	if srcs[0].Name() != "https://api.github.com/meta" || srcs[0].Snapshot != "github-meta" ||
		srcs[1].Name() != "https://www.cloudflare.com/ips-v4 + https://www.cloudflare.com/ips-v6" {
		t.Fatalf("TagSources: %+v", srcs)
	}
}
