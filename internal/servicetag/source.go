package servicetag

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// Source fetches the raw bytes of a document.
type Source interface {
	// String names the source (a path or URL) for logs and errors.
	String() string
	// Fetch returns the document's bytes, or notModified=true when the
	// source reports that nothing changed since the last successful Fetch.
	Fetch(ctx context.Context) (data []byte, notModified bool, err error)
}

// Defaults of an HTTP Source.
const (
	DefaultMaxBytes = 64 << 20         // response size cap
	DefaultTimeout  = 60 * time.Second // whole-request timeout
)

// NewSource is OpenSource with the default options: a download page, a
// discovery-API URL, another http(s) URL or a local path.
func NewSource(pathOrURL string) (Source, error) {
	return OpenSource(pathOrURL, SourceOptions{})
}

// FileSource reads a local file on every Fetch (it never reports
// notModified; the Keeper recognises an unchanged document itself).
type FileSource string

func (f FileSource) String() string { return string(f) }

// Fetch reads the file.
func (f FileSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("read service tags %q: %w", string(f), err)
	}
	data, err := os.ReadFile(string(f))
	if err != nil {
		return nil, false, fmt.Errorf("read service tags %q: %w", string(f), err)
	}
	return data, false, nil
}

// HTTPOptions configure an HTTP Source. Zero fields take the defaults.
type HTTPOptions struct {
	Client   *http.Client // default: a client with Timeout
	Timeout  time.Duration
	MaxBytes int64
}

// HTTPSource fetches a URL with conditional GET: it remembers the ETag and
// Last-Modified of the last successful response and sends If-None-Match and
// If-Modified-Since; 304 Not Modified is reported as notModified. It is
// safe for concurrent use.
type HTTPSource struct {
	url      string
	client   *http.Client
	maxBytes int64

	mu           sync.Mutex
	etag         string
	lastModified string
}

// NewHTTPSource returns an HTTPSource for url.
func NewHTTPSource(url string, opt HTTPOptions) (*HTTPSource, error) {
	if _, err := http.NewRequest(http.MethodGet, url, nil); err != nil {
		return nil, fmt.Errorf("new service-tag source %q: %w", url, err)
	}
	return &HTTPSource{url: url, client: httpClient(opt), maxBytes: maxBytes(opt)}, nil
}

// userAgent is sent with every request.
const userAgent = "tagwall-servicetag"

// httpClient returns opt.Client or a client with opt's timeout.
func httpClient(opt HTTPOptions) *http.Client {
	if opt.Client != nil {
		return opt.Client
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Timeout: timeout}
}

func maxBytes(opt HTTPOptions) int64 {
	if opt.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return opt.MaxBytes
}

func (s *HTTPSource) String() string { return s.url }

// Fetch performs one conditional GET.
func (s *HTTPSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, false, fmt.Errorf("fetch service tags %q: %w", s.url, err)
	}
	s.mu.Lock()
	etag, lastModified := s.etag, s.lastModified
	s.mu.Unlock()
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("fetch service tags %q: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && (etag != "" || lastModified != "") {
		return nil, true, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, false, fmt.Errorf("fetch service tags %q: status %s", s.url, resp.Status)
	}
	data, err := readCapped(resp, s.maxBytes)
	if err != nil {
		return nil, false, fmt.Errorf("fetch service tags %q: %w", s.url, err)
	}
	s.mu.Lock()
	s.etag, s.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	s.mu.Unlock()
	return data, false, nil
}

// Compile-time interface guards.
var (
	_ Source = FileSource("")
	_ Source = (*HTTPSource)(nil)
)
