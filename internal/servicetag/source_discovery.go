package servicetag

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// TokenFunc returns a bearer token for a request to the discovery API (for
// example from azidentity); it is called once per Fetch.
type TokenFunc func(ctx context.Context) (string, error)

// maxDiscoveryPages caps the pages one discovery-API Fetch follows (Azure
// answers in one; tagwall's paged mode uses about 7 for Public).
const maxDiscoveryPages = 1000

// IsDiscoveryURL reports whether s is an http(s) URL of the ARM Service Tag
// Discovery API (…/providers/Microsoft.Network/locations/{loc}/serviceTags).
func IsDiscoveryURL(s string) bool {
	l := strings.ToLower(s)
	return (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) &&
		strings.Contains(l, "/providers/microsoft.network/locations/") && strings.Contains(l, "/servicetags")
}

// DiscoverySource fetches the whole document from the discovery API: it
// sends the bearer token, follows nextLink page by page (only to the same
// scheme and host, so the token never leaves for another host; at most
// maxDiscoveryPages pages and, over all pages, the size cap), merges the
// pages with ParsePages and returns the merged document as one whole
// discovery body (MarshalDiscovery). A single-page answer is returned as
// it came. It never reports notModified. It is safe for concurrent use.
type DiscoverySource struct {
	url      *url.URL
	token    TokenFunc
	client   *http.Client
	maxBytes int64
}

// NewDiscoverySource returns a DiscoverySource for rawURL (with its
// api-version query). token may be nil for an endpoint without
// authentication (a tagwall on loopback).
func NewDiscoverySource(rawURL string, token TokenFunc, opt HTTPOptions) (*DiscoverySource, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("new service-tag source %q: not an http(s) URL", rawURL)
	}
	return &DiscoverySource{url: u, token: token, client: httpClient(opt), maxBytes: maxBytes(opt)}, nil
}

func (s *DiscoverySource) String() string { return s.url.String() }

// Fetch reads every page.
func (s *DiscoverySource) Fetch(ctx context.Context) ([]byte, bool, error) {
	var bearer string
	if s.token != nil {
		t, err := s.token(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("fetch service tags %q: get token: %w", s.url, err)
		}
		bearer = t
	}
	var pages [][]byte
	budget := s.maxBytes
	seen := map[string]bool{}
	for link := s.url.String(); link != ""; {
		if len(pages) == maxDiscoveryPages {
			return nil, false, fmt.Errorf("fetch service tags %q: more than %d pages", s.url, maxDiscoveryPages)
		}
		if err := s.sameOrigin(link); err != nil {
			return nil, false, err
		}
		if seen[link] {
			return nil, false, fmt.Errorf("fetch service tags %q: nextLink %q repeats an earlier page", s.url, link)
		}
		seen[link] = true
		page, err := s.get(ctx, link, bearer, budget)
		if err != nil {
			return nil, false, err
		}
		budget -= int64(len(page))
		pages = append(pages, page)
		link = NextLink(page)
	}
	if len(pages) == 1 {
		return pages[0], false, nil
	}
	doc, err := ParsePages(s.url.String(), pages)
	if err != nil {
		return nil, false, fmt.Errorf("fetch service tags %q: %w", s.url, err)
	}
	out, err := MarshalDiscovery(doc, DiscoveryOptions{SubscriptionID: subscriptionOf(s.url.Path)})
	if err != nil {
		return nil, false, fmt.Errorf("fetch service tags %q: %w", s.url, err)
	}
	return out, false, nil
}

// sameOrigin refuses a nextLink to another scheme or host.
func (s *DiscoverySource) sameOrigin(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("fetch service tags %q: nextLink %q: %w", s.url, link, err)
	}
	if u.Scheme != s.url.Scheme || !strings.EqualFold(u.Host, s.url.Host) {
		return fmt.Errorf("fetch service tags %q: nextLink %q leaves %s://%s; refused so the token stays there", s.url, link, s.url.Scheme, s.url.Host)
	}
	return nil
}

// get fetches one page of at most budget bytes.
func (s *DiscoverySource) get(ctx context.Context, link, bearer string, budget int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch service tags %q: %w", link, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch service tags %q: %w", link, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch service tags %q: status %s", link, resp.Status)
	}
	data, err := readCapped(resp, budget)
	if err != nil {
		return nil, fmt.Errorf("fetch service tags %q: %w", link, err)
	}
	return data, nil
}

// subscriptionOf returns the subscription id in an ARM path, or "".
func subscriptionOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "subscriptions") {
			return parts[i+1]
		}
	}
	return ""
}

// SourceOptions configure OpenSource.
type SourceOptions struct {
	HTTP  HTTPOptions // for URLs, download pages and the discovery API
	Token TokenFunc   // bearer token for the discovery API; nil: none
}

// OpenSource returns the Source for a location: a Microsoft download page
// (DownloadPageSource), a discovery-API URL (DiscoverySource), another
// http(s) URL (HTTPSource) or a local path (FileSource).
func OpenSource(loc string, opt SourceOptions) (Source, error) {
	switch {
	case loc == "":
		return nil, fmt.Errorf("new service-tag source: empty path or URL")
	case IsDownloadPage(loc):
		return NewDownloadPageSource(loc, opt.HTTP)
	case IsDiscoveryURL(loc):
		return NewDiscoverySource(loc, opt.Token, opt.HTTP)
	case strings.HasPrefix(loc, "http://"), strings.HasPrefix(loc, "https://"):
		return NewHTTPSource(loc, opt.HTTP)
	}
	return FileSource(loc), nil
}

// Compile-time interface guard.
var _ Source = (*DiscoverySource)(nil)
