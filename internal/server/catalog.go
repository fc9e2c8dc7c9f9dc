package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// catalogs keeps one servicetag.Keeper per source and the catalog in force:
// the single source's, or a merge of several (the first source that names a
// tag wins).
type catalogs struct {
	keepers  []*servicetag.Keeper
	onChange func()

	mu     sync.Mutex // serialises rebuilds
	merged atomic.Pointer[servicetag.Catalog]
	prev   atomic.Pointer[servicetag.Catalog] // the catalog the one in force replaced (the console's diff)
	next   sync.Map                           // *servicetag.Keeper → time.Time of its next refresh
}

// previous returns the catalog the one in force replaced (nil: none yet).
func (c *catalogs) previous() *servicetag.Catalog { return c.prev.Load() }

// nextFetch returns when k is refreshed next (zero: not scheduled).
func (c *catalogs) nextFetch(k *servicetag.Keeper) time.Time {
	t, _ := c.next.Load(k)
	at, _ := t.(time.Time)
	return at
}

// Current returns the catalog in force, or nil when no source has loaded.
func (c *catalogs) Current() *servicetag.Catalog {
	if len(c.keepers) == 1 {
		return c.keepers[0].Current()
	}
	return c.merged.Load()
}

// changed is every Keeper's OnChange.
func (c *catalogs) changed(old, _ *servicetag.Catalog) {
	if len(c.keepers) > 1 {
		old = c.merged.Load()
		c.rebuild()
	}
	if old != nil {
		c.prev.Store(old)
	}
	if c.onChange != nil {
		c.onChange()
	}
}

func (c *catalogs) rebuild() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var clouds []string
	doc := &servicetag.Document{Format: servicetag.FormatDownload}
	seen := map[string]bool{}
	for _, k := range c.keepers {
		cat := k.Current()
		if cat == nil {
			continue
		}
		d := cat.Document()
		clouds = append(clouds, d.Cloud)
		doc.ChangeNumber += d.ChangeNumber
		for _, t := range d.Tags {
			if key := strings.ToLower(t.Name); !seen[key] {
				seen[key] = true
				doc.Tags = append(doc.Tags, t)
			}
		}
	}
	if len(clouds) == 0 {
		return
	}
	doc.Cloud = strings.Join(clouds, "+")
	c.merged.Store(servicetag.NewCatalog(doc))
}

// newCatalogs builds a Keeper per source, each caching its last good
// document under dir.
func newCatalogs(sources []string, cacheDir string, onChange func()) (*catalogs, error) {
	return newCatalogsWith(sources, cacheDir, onChange, nil)
}

// newCatalogsWith is newCatalogs with each source passed through wrap
// (when not nil) before its Keeper is made.
func newCatalogsWith(sources []string, cacheDir string, onChange func(), wrap func(servicetag.Source) servicetag.Source) (*catalogs, error) {
	c := &catalogs{onChange: onChange}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("create service-tag cache dir: %w", err)
	}
	for _, s := range sources {
		src, err := newSource(s)
		if err != nil {
			return nil, err
		}
		if wrap != nil {
			src = wrap(src)
		}
		sum := sha256.Sum256([]byte(s))
		cache := filepath.Join(cacheDir, hex.EncodeToString(sum[:8])+".json")
		c.keepers = append(c.keepers, servicetag.NewKeeper(src,
			servicetag.WithCacheFile(cache), servicetag.WithOnChange(c.changed)))
	}
	return c, nil
}

// newSource is servicetag.NewSource, plus download pages: a Microsoft
// download "details.aspx" page is fetched and its JSON link followed.
func newSource(s string) (servicetag.Source, error) {
	if isDownloadPage(s) {
		return &pageSource{page: s, client: &http.Client{Timeout: 30 * time.Second}}, nil
	}
	src, err := servicetag.NewSource(s)
	if err != nil {
		return nil, fmt.Errorf("service-tag source %q: %w", s, err)
	}
	return src, nil
}

func isDownloadPage(s string) bool {
	return strings.HasPrefix(s, "http") && strings.Contains(strings.ToLower(s), "/download/details.aspx")
}

// jsonLink finds the service-tag file's link on a download page.
var jsonLink = regexp.MustCompile(`https://download\.microsoft\.com/download/[^"'<>\s]+?\.json`)

// pageSource follows the JSON link of a download page on every Fetch; the
// file itself is fetched with a servicetag HTTP source (conditional GET),
// kept while the link stays the same.
type pageSource struct {
	page   string
	client *http.Client

	mu   sync.Mutex
	link string
	file servicetag.Source
}

func (p *pageSource) String() string { return p.page }

func (p *pageSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	link, err := p.findLink(ctx)
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	if link != p.link {
		src, err := servicetag.NewSource(link)
		if err != nil {
			p.mu.Unlock()
			return nil, false, fmt.Errorf("follow service-tag link %q: %w", link, err)
		}
		p.link, p.file = link, src
	}
	file := p.file
	p.mu.Unlock()
	return file.Fetch(ctx)
}

func (p *pageSource) findLink(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.page, nil)
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch download page %q: status %s", p.page, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", fmt.Errorf("fetch download page %q: %w", p.page, err)
	}
	link := jsonLink.Find(body)
	if link == nil {
		return "", fmt.Errorf("fetch download page %q: no ServiceTags JSON link on the page", p.page)
	}
	return string(link), nil
}

// Refresh backoff after a failure: from retryMin, doubling up to retryMax
// (or the refresh interval, when shorter).
const (
	retryMin = 5 * time.Second
	retryMax = 10 * time.Minute
)

// refreshLoop refreshes k every interval, retrying sooner after failures,
// until ctx ends. first is the wait before the first attempt.
func (m *Main) refreshLoop(ctx context.Context, k *servicetag.Keeper, first time.Duration) {
	retry := retryMin
	wait := first
	for {
		m.cats.next.Store(k, time.Now().Add(wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := k.Refresh(ctx, false); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = min(retry, m.cfg.ServiceTagsRefresh)
			retry = min(retry*2, retryMax)
			m.log.Warn("service-tag refresh failed; keeping the last good document", "source", k.Status().Source,
				"loaded", k.Current() != nil, "retry_in", wait.String(), "err", err)
			continue
		}
		retry, wait = retryMin, m.cfg.ServiceTagsRefresh
	}
}

// startCatalogs loads each source's cached document, then refreshes: local
// files at once (so a test's catalog is in force when Run returns), URLs in
// the background (an offline machine must not delay the start).
func (m *Main) startCatalogs(ctx context.Context) {
	for _, k := range m.cats.keepers {
		src := k.Status().Source
		if err := k.LoadCache(); err == nil {
			m.log.Info("loaded the last good service tags from the cache", "source", src, "changeNumber", k.Status().ChangeNumber)
		}
		first := time.Duration(0)
		if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
			if _, err := k.Refresh(ctx, false); err != nil {
				m.log.Warn("service tags not loaded", "source", src, "err", err)
				first = retryMin
			} else {
				first = m.cfg.ServiceTagsRefresh
			}
		}
		m.wg.Go(func() { m.refreshLoop(m.ctx, k, first) })
	}
	if m.cats.Current() == nil {
		m.log.Warn("no service-tag data yet: tag entries are refused until a source loads; retrying with backoff", "sources", m.cfg.ServiceTags)
	}
}
