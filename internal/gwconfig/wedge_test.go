package gwconfig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// feed is an http service-tag feed whose document the test swaps.
type feed struct {
	srv  *httptest.Server
	body atomic.Pointer[[]byte]
	down atomic.Bool
	hits atomic.Int64 // requests served
}

func newFeed(tb testing.TB, doc *servicetag.Document) *feed {
	tb.Helper()
	f := &feed{}
	f.serve(tb, doc)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.hits.Add(1)
		if f.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(*f.body.Load())
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *feed) serve(tb testing.TB, doc *servicetag.Document) {
	tb.Helper()
	b, err := servicetag.MarshalDownload(doc)
	if err != nil {
		tb.Fatal(err)
	}
	f.body.Store(&b)
}

// inflated is the wedge document: a valid feed with an inflated
// changeNumber and without AzureCloud.
func inflated(doc *servicetag.Document) *servicetag.Document {
	out := *doc
	out.ChangeNumber += 1000
	out.Tags = nil
	for _, t := range doc.Tags {
		if !strings.EqualFold(t.Name, "AzureCloud") {
			out.Tags = append(out.Tags, t)
		}
	}
	return &out
}

func wedgeYAML(upstream, feedURL, extra string) string {
	return fmt.Sprintf(`listen: 127.0.0.1:0
proxyProtocol:
  trustedPeers: [127.0.0.0/8]
serviceTags:
  - source: %s
    refresh: 20ms
%s
routes:
  - sni: api.prod.example.test
    upstream: %s
    authorizedIPRanges: [AzureCloud]
`, feedURL, extra, upstream)
}

// startWedgeRunner runs a Runner whose cache dir is cache, with short
// status and retry intervals.
func startWedgeRunner(t *testing.T, content, cache string) (*running, error) {
	t.Helper()
	return startRunnerWith(t, content, RunnerOptions{CacheDir: cache, StatusInterval: 20 * time.Millisecond,
		RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond}, false)
}

func waitStatus(t *testing.T, r *Runner, what string, cond func(servicetag.SetStatus) bool) servicetag.SetStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWedgeStandalone is issue 12's wedge scenario from an http feed in
// the standalone gateway: an inflated document without AzureCloud is held,
// not installed, and AzureCloud clients stay admitted; the real document
// back drops the hold; a restart with the feed down uses the cache; the
// file's acceptChangeNumber installs the held document (AzureCloud then
// serves its last good prefixes, the route degraded); serviceTagPins keeps
// AzureCloud at its old version until the pin is removed.
func TestWedgeStandalone(t *testing.T) {
	pub := catalog(t, "azure-public-2025-10-13.json")
	doc := pub.Document()
	azure := firstV4(t, pub, "AzureCloud")
	tag, _ := pub.Lookup("AzureCloud")
	up := tlsUpstream(t)
	f := newFeed(t, doc)
	cache := t.TempDir()
	rn, err := startWedgeRunner(t, wedgeYAML(up, f.srv.URL, ""), cache)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, rn.r, "real document live", func(st servicetag.SetStatus) bool {
		return st.ChangeNumber == doc.ChangeNumber && st.Sources[0].Origin == servicetag.OriginLive
	})
	if !admitted(rn.addr, azure) {
		t.Fatal("AzureCloud client refused with the real document")
	}

	f.serve(t, inflated(doc))
	st := waitStatus(t, rn.r, "inflated document held", func(st servicetag.SetStatus) bool { return st.Held() == 1 })
	if h := st.Sources[0].Held; st.ChangeNumber != doc.ChangeNumber || h.ChangeNumber != doc.ChangeNumber+1000 || !strings.Contains(strings.Join(h.Reasons, ";"), "AzureCloud") {
		t.Fatalf("hold %+v, in force %d", h, st.ChangeNumber)
	}
	if !admitted(rn.addr, azure) {
		t.Fatal("AzureCloud client refused while the inflated document is held")
	}

	f.serve(t, doc)
	waitStatus(t, rn.r, "hold dropped when the real document is back", func(st servicetag.SetStatus) bool {
		return st.Held() == 0 && st.ChangeNumber == doc.ChangeNumber
	})

	// Restart with the feed down: the cache is in force.
	f.down.Store(true)
	rn2, err := startWedgeRunner(t, wedgeYAML(up, f.srv.URL, ""), cache)
	if err != nil {
		t.Fatalf("restart with a cache and the feed down: %v", err)
	}
	if st := rn2.r.Status(); st.Sources[0].Origin != servicetag.OriginCache || st.ChangeNumber != doc.ChangeNumber || !admitted(rn2.addr, azure) {
		t.Fatalf("restart: %+v", st.Sources[0])
	}
	f.down.Store(false)

	// The operator accepts the held document in the file.
	f.serve(t, inflated(doc))
	waitStatus(t, rn.r, "held again", func(st servicetag.SetStatus) bool { return st.Held() == 1 })
	writeFile(t, rn.path, wedgeYAML(up, f.srv.URL, fmt.Sprintf("    acceptChangeNumber: %d", doc.ChangeNumber+1000)))
	if err := rn.r.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, rn.r, "accepted", func(st servicetag.SetStatus) bool { return st.ChangeNumber == doc.ChangeNumber+1000 })
	if st.Sources[0].Origin != servicetag.OriginAccepted || st.Counters.Accepts != 1 {
		t.Fatalf("after accept: %+v", st)
	}
	waitLog(t, rn, "route degraded")
	if !admitted(rn.addr, azure) || rn.r.Stats().Degraded != 1 {
		t.Fatalf("after accept, AzureCloud keeps its last good prefixes and the route is degraded: stats %v", rn.r.Stats())
	}

	// Pin AzureCloud at the version seen before: it is back, not degraded.
	writeFile(t, rn.path, wedgeYAML(up, f.srv.URL, fmt.Sprintf("serviceTagPins: [{tag: AzureCloud, changeNumber: %d}]", tag.ChangeNumber)))
	if err := rn.r.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	st = rn.r.Status()
	if len(st.Pins) != 1 || st.Pins[0].ChangeNumber != tag.ChangeNumber {
		t.Fatalf("pins %+v", st.Pins)
	}
	waitLog(t, rn, "route no longer degraded")
	if !admitted(rn.addr, azure) {
		t.Fatal("pinned AzureCloud refused")
	}
	// Unpin: AzureCloud follows the feed again (vanished: degraded).
	writeFile(t, rn.path, wedgeYAML(up, f.srv.URL, ""))
	if err := rn.r.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if st := rn.r.Status(); len(st.Pins) != 0 {
		t.Fatalf("pins after unpin %+v", st.Pins)
	}
	waitStatus(t, rn.r, "degraded again", func(servicetag.SetStatus) bool { return rn.r.Stats().Degraded == 1 })
}

func waitLog(t *testing.T, rn *running, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(rn.log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", s, rn.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCloseStopsTheRefreshLoop: once Close returns the runner fetches
// nothing more and writes nothing more, so the cache dir can be removed
// (the CI flake this fixed: a refresh wrote a hold's state file into a
// test's cache dir while it was being removed).
func TestCloseStopsTheRefreshLoop(t *testing.T) {
	pub := catalog(t, "azure-public-2025-10-13.json")
	up := tlsUpstream(t)
	f := newFeed(t, pub.Document())
	cache := t.TempDir()
	rn, err := startWedgeRunner(t, wedgeYAML(up, f.srv.URL, ""), cache)
	if err != nil {
		t.Fatal(err)
	}
	f.serve(t, inflated(pub.Document())) // held at each fetch: state written
	waitStatus(t, rn.r, "held", func(st servicetag.SetStatus) bool { return st.Held() == 1 })
	for f.hits.Load() < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	rn.r.Close()
	// A request sent before Close may still reach the feed's handler (the
	// client gave up on it; the server counts it when it reads it): settle,
	// then count.
	time.Sleep(100 * time.Millisecond)
	n := f.hits.Load()
	if err := os.RemoveAll(cache); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // 10 refresh intervals
	if got := f.hits.Load(); got != n {
		t.Errorf("%d fetches after Close", got-n)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache dir written after Close: stat %v", err)
	}
	if err := rn.r.Reload(context.Background(), true); !errors.Is(err, errClosed) {
		t.Errorf("Reload after Close: %v, want errClosed (nothing may start again)", err)
	}
	rn.r.Close() // twice is fine
}
