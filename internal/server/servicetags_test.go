package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// offlineHTTP sends every service-tag request to a closed loopback port
// (testutil.OfflineClient).
func offlineHTTP(tb testing.TB) servicetag.HTTPOptions {
	tb.Helper()
	return servicetag.HTTPOptions{Client: testutil.OfflineClient(tb)}
}

// bareConfig is a Config as `tagwall serve` with no service-tag flag gets
// it, on loopback :0 ports, with nothing read from ../shared; logs go to
// logs.
func bareConfig(tb testing.TB, dir string, logs *testutil.SyncBuffer) Config {
	tb.Helper()
	return Config{
		DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		SystemRanges:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		FeatureDelay:    -1,
		ServiceTagsHTTP: offlineHTTP(tb),
		Logger:          slog.New(slog.NewTextHandler(logs, nil)),
	}
}

// journey runs the seed's journey with AzureCloud,20.20.20.20 and checks
// the front door admits 20.20.20.20 and an AzureCloud address, not 8.8.8.8.
func journey(t *testing.T, m *Main) (fqdn string, caPEM []byte) {
	t.Helper()
	s := newSeed(t, m)
	s.featureState(t, "register")
	eventually(t, 10*time.Second, "feature Registered", func() error {
		if st := s.featureState(t, ""); st != "Registered" {
			return errorf("%s", st)
		}
		return nil
	})
	s.registerProvider(t)
	s.createGroup(t)
	mc, err := s.put(t, clusterSpec("AzureCloud", "20.20.20.20"))
	if err != nil {
		t.Fatalf("create with AzureCloud,20.20.20.20: %v", err)
	}
	fqdn = *mc.Properties.Fqdn
	_, _, caPEM, _ = parseKubeconfig(t, s.kubeconfig(t))
	version := strings.TrimPrefix(*mc.Properties.KubernetesVersion, "v")
	for _, c := range []struct {
		addr    string
		allowed bool
	}{{"20.20.20.20", true}, {azureCloudAddr(t, m), true}, {"8.8.8.8", false}} {
		body, err := frontDoorGet(m.GatewayAddr(), c.addr, fqdn, caPEM, "/version")
		checkAccess(t, c.addr, c.allowed, version, body, err)
	}
	return fqdn, caPEM
}

// TestFreshMachineOffline is issue 12's first test: no ../shared, no
// network (the download page is a closed loopback port), no service-tag
// flag: the embedded Public snapshot is in force, the log and /readyz say
// so, and the seed's journey with AzureCloud,20.20.20.20 succeeds. A
// restart with a damaged cache falls back to the snapshot with a clear log
// line.
func TestFreshMachineOffline(t *testing.T) {
	dir := t.TempDir()
	logs := &testutil.SyncBuffer{}
	m := start(t, bareConfig(t, dir, logs))
	const want = "embedded snapshot, changeNumber 373, published 2025-10-13"
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, logs.String())
	}
	_, body := get(t, "http://"+m.MetricsAddr()+"/readyz")
	if !strings.Contains(body, "[+]servicetags "+servicetag.PublicDownloadPage+" loaded: "+want) {
		t.Fatalf("readyz:\n%s", body)
	}
	journey(t, m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	cache := filepath.Join(dir, "servicetags", servicetag.CacheName(servicetag.PublicDownloadPage, ".json"))
	if err := os.WriteFile(cache, []byte("<html>not a document</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs2 := &testutil.SyncBuffer{}
	m2 := start(t, bareConfig(t, dir, logs2))
	if !strings.Contains(logs2.String(), "service-tag cache is damaged; falling back to the embedded snapshot azure-public") ||
		!strings.Contains(logs2.String(), want) {
		t.Fatalf("damaged cache: log:\n%s", logs2.String())
	}
	if cat := m2.Catalog(); cat == nil || cat.Document().ChangeNumber != 373 {
		t.Fatal("embedded snapshot not in force after a damaged cache")
	}
}

// wedgeFeed serves a document the test swaps, or 503 while down.
type wedgeFeed struct {
	srv  *httptest.Server
	body atomic.Pointer[[]byte]
	down atomic.Bool
}

func newWedgeFeed(t *testing.T, doc *servicetag.Document) *wedgeFeed {
	f := &wedgeFeed{}
	f.set(t, doc)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if f.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(*f.body.Load())
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *wedgeFeed) set(t *testing.T, doc *servicetag.Document) {
	b, err := servicetag.MarshalDownload(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.body.Store(&b)
}

// withoutAzureCloud is the wedge document: valid, changeNumber inflated
// by 1000, AzureCloud gone.
func withoutAzureCloud(doc *servicetag.Document) *servicetag.Document {
	out := *doc
	out.ChangeNumber += 1000
	out.Tags = nil
	for _, tg := range doc.Tags {
		if tg.Name != "AzureCloud" {
			out.Tags = append(out.Tags, tg)
		}
	}
	return &out
}

func waitTags(t *testing.T, m *Main, what string, cond func(servicetag.SetStatus) bool) servicetag.SetStatus {
	t.Helper()
	var st servicetag.SetStatus
	eventually(t, 10*time.Second, what, func() error {
		if st = m.ServiceTags().Status(); !cond(st) {
			return errorf("%+v", st)
		}
		return nil
	})
	return st
}

// TestWedgeServe is issue 12's wedge scenario from an http feed in serve:
// the inflated document without AzureCloud is held, not installed, and
// shown in /readyz; the cluster keeps admitting AzureCloud clients; the
// real document back drops the hold; a restart with the feed down uses the
// cache; accept installs the held document (AzureCloud keeps its last
// good prefixes, the cluster degraded) and a pin brings the tag back.
func TestWedgeServe(t *testing.T) {
	data, err := os.ReadFile(testutil.ServiceTags(t, publicTags))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := servicetag.Parse(publicTags, data)
	if err != nil {
		t.Fatal(err)
	}
	feed := newWedgeFeed(t, pub)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.ServiceTags, cfg.ServiceTagsRefresh, cfg.FeatureDelay = []string{feed.srv.URL}, 50*time.Millisecond, -1
	cfg.SystemRanges = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	m := start(t, cfg)
	waitTags(t, m, "real document live", func(st servicetag.SetStatus) bool { return st.ChangeNumber == pub.ChangeNumber })
	fqdn, caPEM := journey(t, m)
	azure := azureCloudAddr(t, m)
	admitted := func(m *Main) bool {
		_, err := frontDoorGet(m.GatewayAddr(), azure, fqdn, caPEM, "/version")
		return err == nil
	}

	feed.set(t, withoutAzureCloud(pub))
	st := waitTags(t, m, "wedge document held", func(st servicetag.SetStatus) bool { return st.Held() == 1 })
	if st.ChangeNumber != pub.ChangeNumber || !admitted(m) {
		t.Fatalf("while held: in force %d, AzureCloud admitted %v", st.ChangeNumber, admitted(m))
	}
	if _, body := get(t, "http://"+m.MetricsAddr()+"/readyz"); !strings.Contains(body, fmt.Sprintf("HELD changeNumber %d", pub.ChangeNumber+1000)) {
		t.Fatalf("readyz does not show the hold:\n%s", body)
	}
	if _, metrics := get(t, "http://"+m.MetricsAddr()+"/metrics"); !strings.Contains(metrics, `tagwall_servicetags_held{source="`+feed.srv.URL+`"} 1`) {
		t.Error("metrics do not count the hold")
	}
	feed.set(t, pub)
	waitTags(t, m, "hold dropped", func(st servicetag.SetStatus) bool { return st.Held() == 0 })

	// Restart with the feed down: the cache is in force.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	feed.down.Store(true)
	m = start(t, cfg)
	if st := m.ServiceTags().Status(); st.Sources[0].Origin != servicetag.OriginCache || st.ChangeNumber != pub.ChangeNumber {
		t.Fatalf("restart with the feed down: %+v", st.Sources[0])
	}
	eventually(t, 10*time.Second, "AzureCloud admitted after the restart (the controller applies the routes)", func() error {
		if !admitted(m) {
			return errorf("refused")
		}
		return nil
	})
	feed.down.Store(false)

	// Accept, then pin.
	feed.set(t, withoutAzureCloud(pub))
	waitTags(t, m, "held again", func(st servicetag.SetStatus) bool { return st.Held() == 1 })
	if err := m.ServiceTags().Accept(""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "cluster degraded", func() error {
		if s := m.ctrl.CompileStats(); s.Degraded != 1 {
			return errorf("%v", s)
		}
		return nil
	})
	if !admitted(m) { // the route did not change: the last good prefixes stay
		t.Fatal("AzureCloud client refused after accept: the last good prefixes must stay")
	}
	tag, _ := servicetag.NewCatalog(pub).Lookup("AzureCloud")
	if err := m.ServiceTags().Pin("AzureCloud", tag.ChangeNumber); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "cluster no longer degraded", func() error {
		if s := m.ctrl.CompileStats(); s.Degraded != 0 {
			return errorf("%v", s)
		}
		return nil
	})
	eventually(t, 10*time.Second, "pinned AzureCloud admitted", func() error {
		if !admitted(m) {
			return errorf("refused")
		}
		return nil
	})
}
