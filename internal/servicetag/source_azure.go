package servicetag

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Microsoft's download pages of the Azure service-tag files, by cloud. The
// JSON link on a page changes every week; DownloadPageSource follows it.
const (
	PublicDownloadPage     = "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
	GovernmentDownloadPage = "https://www.microsoft.com/en-us/download/details.aspx?id=57063"
	ChinaDownloadPage      = "https://www.microsoft.com/en-us/download/details.aspx?id=57062"
)

// Azure cloud names as the documents spell them.
const (
	CloudPublic     = "Public"
	CloudGovernment = "AzureGovernment"
	CloudChina      = "China"
)

// azureClouds lists, per cloud, its download page and embedded snapshot key.
var azureClouds = []struct{ cloud, page, snapshot string }{
	{CloudPublic, PublicDownloadPage, "azure-public"},
	{CloudGovernment, GovernmentDownloadPage, "azure-government"},
	{CloudChina, ChinaDownloadPage, "azure-china"},
}

// DownloadPage returns the download page of an Azure cloud (case-insensitive
// name; "" is Public), or false for a cloud with none.
func DownloadPage(cloud string) (string, bool) {
	for _, c := range azureClouds {
		if strings.EqualFold(c.cloud, cloud) || (cloud == "" && c.cloud == CloudPublic) {
			return c.page, true
		}
	}
	return "", false
}

// SnapshotKey returns the key of an Azure cloud's embedded snapshot
// (case-insensitive name; "" is Public), or false for a cloud with none.
func SnapshotKey(cloud string) (string, bool) {
	for _, c := range azureClouds {
		if strings.EqualFold(c.cloud, cloud) || (cloud == "" && c.cloud == CloudPublic) {
			return c.snapshot, true
		}
	}
	return "", false
}

// maxPageBytes caps a download page (an HTML page of about 100 KB).
const maxPageBytes = 4 << 20

// IsDownloadPage reports whether s is a Microsoft download "details.aspx"
// page URL.
func IsDownloadPage(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
		strings.Contains(strings.ToLower(s), "/download/details.aspx")
}

// jsonLink finds the service-tag file's link on a download page.
var jsonLink = regexp.MustCompile(`https://download\.microsoft\.com/download/[^"'<>\s]+?\.json`)

// DownloadPageSource fetches a Microsoft download page on every Fetch and
// follows its ServiceTags JSON link; the file is fetched with an HTTPSource
// (conditional GET), kept while the link stays the same. It is safe for
// concurrent use.
type DownloadPageSource struct {
	page string
	opt  HTTPOptions

	mu   sync.Mutex
	link string
	file *HTTPSource
}

// NewDownloadPageSource returns a DownloadPageSource for page; opt applies
// to the page and the file (the file's size cap is opt.MaxBytes).
func NewDownloadPageSource(page string, opt HTTPOptions) (*DownloadPageSource, error) {
	if _, err := url.Parse(page); err != nil || !IsDownloadPage(page) {
		return nil, fmt.Errorf("new service-tag source %q: not a download details.aspx page URL", page)
	}
	opt.Client = httpClient(opt)
	return &DownloadPageSource{page: page, opt: opt}, nil
}

func (p *DownloadPageSource) String() string { return p.page }

// Fetch finds the JSON link and fetches the file it names.
func (p *DownloadPageSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	link, err := p.findLink(ctx)
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	if link != p.link {
		src, err := NewHTTPSource(link, p.opt)
		if err != nil {
			p.mu.Unlock()
			return nil, false, fmt.Errorf("follow service-tag link %q of %q: %w", link, p.page, err)
		}
		p.link, p.file = link, src
	}
	file := p.file
	p.mu.Unlock()
	return file.Fetch(ctx)
}

func (p *DownloadPageSource) findLink(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.page, nil)
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := p.opt.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch download page %q: status %s", p.page, resp.Status)
	}
	body, err := readCapped(resp, maxPageBytes)
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	link := jsonLink.Find(body)
	if link == nil {
		return "", fmt.Errorf("fetch download page %q: no ServiceTags JSON link on the page", p.page)
	}
	return string(link), nil
}

// readCapped reads a response body of at most limit bytes. A larger body
// is refused without holding it: a Content-Length over the cap is refused
// before reading, and otherwise at most limit+1 bytes are read.
func readCapped(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("response of %d bytes is larger than the %d-byte cap", resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response larger than the %d-byte cap", limit)
	}
	return data, nil
}

// Compile-time interface guard.
var _ Source = (*DownloadPageSource)(nil)
