package servicetag

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// feed is an httptest service-tag feed: it serves the body set last with
// an ETag and answers a matching If-None-Match with 304.
type feed struct {
	srv  *httptest.Server
	mu   sync.Mutex
	body []byte
	gets atomic.Int64
	n304 atomic.Int64
	down atomic.Bool // answer 503
}

func newFeed(tb testing.TB, body []byte) *feed {
	tb.Helper()
	f := &feed{body: body}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *feed) set(body []byte) {
	f.mu.Lock()
	f.body = body
	f.mu.Unlock()
}

func (f *feed) serve(w http.ResponseWriter, r *http.Request) {
	f.gets.Add(1)
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	f.mu.Lock()
	body := f.body
	f.mu.Unlock()
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		f.n304.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	_, _ = w.Write(body)
}

// testLog returns a logger writing text lines into a buffer.
func testLog() (*slog.Logger, *testutil.SyncBuffer) {
	buf := &testutil.SyncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// mutate returns a copy of doc with changeNumber cn, without the named
// tags, in the download format.
func mutate(tb testing.TB, doc *Document, cn int64, drop ...string) []byte {
	tb.Helper()
	d := *doc
	d.ChangeNumber = cn
	d.Tags = slices.DeleteFunc(slices.Clone(doc.Tags), func(t Tag) bool {
		return slices.ContainsFunc(drop, func(n string) bool { return strings.EqualFold(n, t.Name) })
	})
	out, err := MarshalDownload(&d)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// newTestSet makes a Set over the given sources with a test log.
func newTestSet(tb testing.TB, cfg SetConfig) (*Set, *testutil.SyncBuffer) {
	tb.Helper()
	log, buf := testLog()
	cfg.Log = log
	s, err := NewSet(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Load(); err != nil {
		tb.Fatal(err)
	}
	return s, buf
}

// inForce returns the tag's changeNumber and prefix count in the Set's
// catalog, or -1 when it is absent.
func inForce(s *Set, tag string) (cn int64, prefixes int) {
	cat := s.Current()
	if cat == nil {
		return -1, 0
	}
	t, ok := cat.Lookup(tag)
	if !ok {
		return -1, 0
	}
	return t.ChangeNumber, len(t.Prefixes)
}
