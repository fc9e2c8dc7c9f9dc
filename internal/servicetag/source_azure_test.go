package servicetag

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const testLink = "https://download.microsoft.com/download/7/1/d/71d86715-5596-4529-9b13-da13a5de5b63/ServiceTags_Public_20251013.json"

// rewriteTransport sends every request to the test server, keeping the
// path, so a page naming download.microsoft.com is served on loopback.
type rewriteTransport struct{ to *url.URL }

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rt.to.Scheme, rt.to.Host
	return http.DefaultTransport.RoundTrip(r)
}

func TestDownloadPageSourceFindsLink(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		status  int
		want    string
		wantErr string
	}{
		{name: "link in an anchor", status: 200, want: testLink,
			page: `<html><a href="` + testLink + `" class="mscom-link">Download</a> <a href="https://download.microsoft.com/download/x/other.zip">zip</a></html>`},
		{name: "link in script json", status: 200, want: testLink, page: `{"url":"` + testLink + `","size":4106571}`},
		{name: "no link", status: 200, page: "<html>moved</html>", wantErr: "no ServiceTags JSON link"},
		{name: "error status", status: 503, page: "busy", wantErr: "status 503"},
		{name: "page over the cap", status: 200, page: strings.Repeat("x", maxPageBytes+1), wantErr: "cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.page)
			}))
			defer srv.Close()
			p, err := NewDownloadPageSource(srv.URL+"/en-us/download/details.aspx?id=56519", HTTPOptions{Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.findLink(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "details.aspx") {
					t.Fatalf("err %v, want %q naming the page", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
		})
	}
}

// TestDownloadPageSourceFollowsLink fetches the page, then the file it
// links, then again with a conditional GET answered 304.
func TestDownloadPageSourceFollowsLink(t *testing.T) {
	var fileGets, conditional int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "details.aspx"):
			_, _ = io.WriteString(w, `<a href="`+testLink+`">Download</a>`)
		case strings.HasSuffix(r.URL.Path, ".json"):
			fileGets++
			if r.Header.Get("If-None-Match") == `"v1"` {
				conditional++
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			_, _ = io.WriteString(w, tinyDownload)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	to, _ := url.Parse(srv.URL)
	src, err := OpenSource(PublicDownloadPage, SourceOptions{HTTP: HTTPOptions{Client: &http.Client{Transport: rewriteTransport{to}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*DownloadPageSource); !ok {
		t.Fatalf("OpenSource(download page) = %T", src)
	}
	data, nm, err := src.Fetch(context.Background())
	if err != nil || nm || string(data) != tinyDownload {
		t.Fatalf("first Fetch = %d bytes, %v, %v", len(data), nm, err)
	}
	_, nm, err = src.Fetch(context.Background())
	if err != nil || !nm || fileGets != 2 || conditional != 1 {
		t.Fatalf("second Fetch: notModified %v, err %v, %d file GETs, %d conditional", nm, err, fileGets, conditional)
	}
}

// discoveryServer serves doc in pages of top tags, checking the token.
func discoveryServer(t *testing.T, doc *Document, top int, link func(base string, next int) string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":{"code":"AuthenticationFailed"}}`, http.StatusUnauthorized)
			return
		}
		skip, _ := strconv.Atoi(r.URL.Query().Get("$skipToken"))
		out, err := MarshalDiscovery(doc, DiscoveryOptions{SubscriptionID: "sub", Skip: skip, Top: top,
			NextLink: func(next int) string { return link(srv.URL, next) }})
		if err != nil {
			t.Error(err)
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const discoveryPath = "/subscriptions/sub/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2023-09-01"

func TestDiscoverySource(t *testing.T) {
	doc := sharedDoc(t, "azure-government-2026-07-13.json")
	token := func(context.Context) (string, error) { return "tok", nil }
	sameHost := func(base string, next int) string { return base + discoveryPath + "&$skipToken=" + strconv.Itoa(next) }
	tests := []struct {
		name     string
		top      int
		link     func(base string, next int) string
		token    TokenFunc
		maxBytes int64
		wantErr  string
	}{
		{name: "whole document in one answer", top: 0, link: sameHost, token: token},
		{name: "paged at 100", top: 100, link: sameHost, token: token},
		{name: "paged at 1", top: 1, link: sameHost, token: token},
		{name: "no token", top: 0, link: sameHost, wantErr: "status 401"},
		{name: "token error", top: 0, link: sameHost, token: func(context.Context) (string, error) { return "", errors.New("no identity") }, wantErr: "get token: no identity"},
		{name: "nextLink to another host", top: 100, link: func(string, int) string { return "https://evil.example/x" }, token: token, wantErr: "leaves http://127.0.0.1"},
		{name: "nextLink loop", top: 100, link: func(base string, _ int) string { return base + discoveryPath }, token: token, wantErr: "repeats an earlier page"},
		{name: "pages over the total cap", top: 100, link: sameHost, token: token, maxBytes: 200 << 10, wantErr: "cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := discoveryServer(t, doc, tt.top, tt.link)
			src, err := OpenSource(srv.URL+discoveryPath, SourceOptions{Token: tt.token, HTTP: HTTPOptions{MaxBytes: tt.maxBytes}})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := src.(*DiscoverySource); !ok {
				t.Fatalf("OpenSource(discovery URL) = %T", src)
			}
			data, _, err := src.Fetch(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse("fetched", data)
			if err != nil {
				t.Fatal(err)
			}
			want := *doc
			want.Format = FormatDiscovery
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("fetched document differs: %s", got)
			}
		})
	}
}

func TestOpenSourceKinds(t *testing.T) {
	tests := []struct {
		loc, want string
	}{
		{PublicDownloadPage, "*servicetag.DownloadPageSource"},
		{"https://management.azure.com" + discoveryPath, "*servicetag.DiscoverySource"},
		{"https://example.com/ServiceTags_Public.json", "*servicetag.HTTPSource"},
		{"/var/lib/tags.json", "servicetag.FileSource"},
	}
	for _, tt := range tests {
		t.Run(tt.loc, func(t *testing.T) {
			src, err := OpenSource(tt.loc, SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := reflect.TypeOf(src).String(); got != tt.want {
				t.Fatalf("OpenSource(%q) = %s, want %s", tt.loc, got, tt.want)
			}
		})
	}
	if _, err := OpenSource("", SourceOptions{}); err == nil {
		t.Fatal("OpenSource(\"\") succeeded")
	}
}
