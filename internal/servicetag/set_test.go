package servicetag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSetWedge is the scenario of issue 12 from an http feed: a valid
// Public document with an inflated changeNumber (1373) and no AzureCloud is
// held, not installed; AzureCloud stays in force; when the real feed comes
// back its document (373, lower than the held one) is installed and the
// held one is dropped.
func TestSetWedge(t *testing.T) {
	prev := sharedFile(t, "azure-public-2025-10-06.json") // cn 372, AzureCloud cn 271
	real := sharedFile(t, "azure-public-2025-10-13.json") // cn 373, AzureCloud cn 272
	bad := mutate(t, sharedDoc(t, "azure-public-2025-10-13.json"), 1373, "AzureCloud")
	f := newFeed(t, prev)
	s, logs := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}}, CacheDir: t.TempDir()})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if cn, _ := inForce(s, "AzureCloud"); cn != 271 {
		t.Fatalf("AzureCloud in force at %d, want 271", cn)
	}

	f.set(bad)
	for i := range 5 { // held however often it comes: its fault is not only the changeNumber
		changed, err := s.Refresh(ctx)
		if changed || !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), `tag "AzureCloud" is in use and would disappear`) {
			t.Fatalf("fetch %d of the inflated document: changed %v, err %v", i+1, changed, err)
		}
	}
	st := s.Status()
	src := st.Sources[0]
	if src.ChangeNumber != 372 || src.Held == nil || src.Held.ChangeNumber != 1373 || src.Held.RegressionOnly || src.Held.Repeats != 5 {
		t.Fatalf("status after the inflated document: in force %d, held %+v", src.ChangeNumber, src.Held)
	}
	if st.Counters.Holds != 1 || st.Held() != 1 || f.n304.Load() != 4 {
		t.Fatalf("counters %+v, held %d, 304s %d", st.Counters, st.Held(), f.n304.Load())
	}
	if cn, n := inForce(s, "AzureCloud"); cn != 271 || n != 12961 {
		t.Fatalf("AzureCloud in force at %d with %d prefixes, want 271 with 12961", cn, n)
	}
	if !strings.Contains(logs.String(), "service-tag document held") {
		t.Fatalf("no log line for the hold:\n%s", logs)
	}

	f.set(real)
	changed, err := s.Refresh(ctx)
	if err != nil || !changed {
		t.Fatalf("real document back: changed %v, err %v", changed, err)
	}
	st = s.Status()
	if st.ChangeNumber != 373 || st.Sources[0].Held != nil || st.Sources[0].Origin != OriginLive {
		t.Fatalf("after the real document: %+v", st.Sources[0])
	}
	if cn, _ := inForce(s, "AzureCloud"); cn != 272 {
		t.Fatalf("AzureCloud in force at %d, want 272", cn)
	}
	if _, err := os.Stat(filepath.Join(s.cfg.CacheDir, CacheName(f.srv.URL, ".held.json"))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("held file still on disk: %v", err)
	}
}

// TestSetWedgeHeldDroppedWhenInForceReturns: the feed goes back to the
// document in force; the hold is dropped and nothing is installed.
func TestSetWedgeHeldDroppedWhenInForceReturns(t *testing.T) {
	gov := sharedFile(t, "azure-government-2026-07-13.json")
	bad := mutate(t, sharedDoc(t, "azure-government-2026-07-13.json"), 1401, "AzureCloud")
	f := newFeed(t, gov)
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}}})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(bad)
	if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("inflated document: %v", err)
	}
	f.set(gov)
	if changed, err := s.Refresh(ctx); changed || err != nil {
		t.Fatalf("document in force again: changed %v, err %v", changed, err)
	}
	if st := s.Status(); st.Sources[0].Held != nil || st.ChangeNumber != 401 {
		t.Fatalf("status: %+v", st.Sources[0])
	}
}

// TestSetRegressionNotDeadEnd: an inflated document that kept AzureCloud
// was installed (as old tagwall did); the real, lower document is held,
// then installed on the third consecutive fetch (two of them 304s).
func TestSetRegressionNotDeadEnd(t *testing.T) {
	realDoc := sharedDoc(t, "azure-government-2026-07-13.json")
	real := sharedFile(t, "azure-government-2026-07-13.json")
	f := newFeed(t, mutate(t, realDoc, 1401))
	s, logs := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}}})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(real)
	for i := 1; i <= 2; i++ {
		_, err := s.Refresh(ctx)
		if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "changeNumber regression from 1401 to 401") ||
			!strings.Contains(err.Error(), "installed after 3 consecutive fetches") {
			t.Fatalf("fetch %d: %v", i, err)
		}
		if h := s.Status().Sources[0].Held; h == nil || !h.RegressionOnly || h.Repeats != i {
			t.Fatalf("fetch %d: held %+v", i, h)
		}
	}
	changed, err := s.Refresh(ctx)
	if !changed || err != nil {
		t.Fatalf("third fetch: changed %v, err %v", changed, err)
	}
	st := s.Status()
	if st.ChangeNumber != 401 || st.Sources[0].Held != nil || st.Counters.AutoAccepts != 1 || f.n304.Load() != 2 {
		t.Fatalf("after the third fetch: cn %d, held %+v, counters %+v, 304s %d", st.ChangeNumber, st.Sources[0].Held, st.Counters, f.n304.Load())
	}
	if !strings.Contains(logs.String(), "served this lower changeNumber 3 times in a row") {
		t.Fatalf("no log line for the automatic install:\n%s", logs)
	}
}

// TestSetAccept: a document of another cloud is held until Accept.
func TestSetAccept(t *testing.T) {
	f := newFeed(t, sharedFile(t, "azure-government-2026-07-13.json"))
	var installed []string
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}},
		OnInstall: func(src string, _ []byte, overridden bool) { installed = append(installed, fmt.Sprint(overridden)) }})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Accept(""); !errors.Is(err, ErrNoHold) {
		t.Fatalf("Accept with nothing held: %v", err)
	}
	f.set(sharedFile(t, "azure-china-2026-07-13.json"))
	_, err := s.Refresh(ctx)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), `cloud "China" differs from "AzureGovernment" in force`) {
		t.Fatalf("China document: %v", err)
	}
	d, err := s.HeldDiff(f.srv.URL)
	if err != nil || len(d.Added) == 0 || len(d.Removed) == 0 || d.NewChangeNumber != 404 {
		t.Fatalf("HeldDiff: %v, %d added, %d removed", err, len(d.Added), len(d.Removed))
	}
	if err := s.Accept("nope"); !errors.Is(err, ErrUnknownSource) {
		t.Fatalf("Accept(unknown): %v", err)
	}
	if err := s.Accept(f.srv.URL); err != nil {
		t.Fatal(err)
	}
	st := s.Status()
	if st.Cloud != "China" || st.Sources[0].Origin != OriginAccepted || st.Sources[0].Held != nil || st.Counters.Accepts != 1 {
		t.Fatalf("after Accept: %+v %+v", st, st.Sources[0])
	}
	if fmt.Sprint(installed) != "[false true]" { // fetched, then accepted over the checks
		t.Fatalf("OnInstall calls (overridden): %v", installed)
	}
	if _, err := s.HeldDiff(""); !errors.Is(err, ErrNoHold) {
		t.Fatalf("HeldDiff with nothing held: %v", err)
	}
}

// TestSetPin: a pinned tag keeps its version's prefixes until unpinned,
// also across a restart; a version never seen is refused.
func TestSetPin(t *testing.T) {
	const tag = "AzureCloud.usgovvirginia" // cn 66, 122 prefixes → cn 67, 134
	f := newFeed(t, sharedFile(t, "azure-government-2026-03-23.json"))
	dir := t.TempDir()
	cfg := SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}}, CacheDir: dir}
	s, _ := newTestSet(t, cfg)
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(sharedFile(t, "azure-government-2026-05-04.json"))
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if cn, n := inForce(s, tag); cn != 67 || n != 134 {
		t.Fatalf("%s in force at %d (%d prefixes)", tag, cn, n)
	}
	tests := []struct {
		name string
		tag  string
		cn   int64
		want error
	}{
		{name: "version never seen", tag: tag, cn: 65, want: ErrUnknownVersion},
		{name: "tag never seen", tag: "NoSuchTag", cn: 1, want: ErrUnknownVersion},
		{name: "previous version", tag: strings.ToLower(tag), cn: 66},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Pin(tt.tag, tt.cn); !errors.Is(err, tt.want) {
				t.Fatalf("Pin(%s, %d) = %v, want %v", tt.tag, tt.cn, err, tt.want)
			}
		})
	}
	if cn, n := inForce(s, tag); cn != 66 || n != 122 {
		t.Fatalf("pinned %s in force at %d (%d prefixes), want 66 (122)", tag, cn, n)
	}
	if cn, _ := inForce(s, "AzureCloud"); cn != 122 {
		t.Fatalf("unpinned AzureCloud at %d, want 122", cn)
	}

	// Restart with the source down: the cache and the pin are back.
	f.down.Store(true)
	s2, _ := newTestSet(t, cfg)
	if cn, n := inForce(s2, tag); cn != 66 || n != 122 {
		t.Fatalf("after restart %s at %d (%d prefixes), want the pin", tag, cn, n)
	}
	if p := s2.Status().Pins; len(p) != 1 || p[0].Tag != tag || p[0].ChangeNumber != 66 {
		t.Fatalf("pins after restart: %+v", p)
	}
	if err := s2.Unpin(tag); err != nil {
		t.Fatal(err)
	}
	if err := s2.Unpin(tag); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("second Unpin: %v", err)
	}
	if cn, _ := inForce(s2, tag); cn != 67 {
		t.Fatalf("unpinned %s at %d, want 67", tag, cn)
	}
}

// TestSetRestart: a cached document with an unreachable source is used;
// a damaged cache falls back to the embedded snapshot with a clear log
// line; a held document survives the restart and can be accepted.
func TestSetRestart(t *testing.T) {
	f := newFeed(t, sharedFile(t, "azure-government-2026-07-06.json"))
	dir := t.TempDir()
	cfg := SetConfig{Sources: []SourceConfig{{Location: f.srv.URL, Snapshot: "azure-government"}}, CacheDir: dir}
	s, _ := newTestSet(t, cfg)
	if got := s.Status().Sources[0].InForce; got != "embedded snapshot, changeNumber 401, published 2026-07-13" {
		t.Fatalf("first start in force: %q", got)
	}
	ctx := context.Background()
	// The feed has 400, below the snapshot's 401: held, Accept installs it.
	if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("older live document: %v", err)
	}
	if err := s.Accept(""); err != nil {
		t.Fatal(err)
	}
	f.set(mutate(t, sharedDoc(t, "azure-government-2026-07-06.json"), 500, "AzureCloud"))
	if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("inflated document: %v", err)
	}

	f.srv.Close() // unreachable from now on
	s2, _ := newTestSet(t, cfg)
	st := s2.Status().Sources[0]
	if st.Origin != OriginCache || st.ChangeNumber != 400 || !strings.HasPrefix(st.InForce, "cache, changeNumber 400, cached ") {
		t.Fatalf("restart with a cache: %+v", st)
	}
	if st.Held == nil || st.Held.ChangeNumber != 500 || st.Held.Repeats != 1 {
		t.Fatalf("hold after restart: %+v", st.Held)
	}
	if _, err := s2.Refresh(ctx); err == nil || errors.Is(err, ErrHeld) {
		t.Fatalf("refresh from an unreachable source: %v", err)
	}
	if cn, _ := inForce(s2, "AzureCloud"); cn < 0 {
		t.Fatal("AzureCloud lost after a failed refresh")
	}
	if err := s2.Accept(""); err != nil {
		t.Fatal(err)
	}
	if cn, _ := inForce(s2, "AzureCloud"); cn != -1 || s2.Current().Document().ChangeNumber != 500 {
		t.Fatal("Accept after restart did not install the held document")
	}

	cache := filepath.Join(dir, CacheName(f.srv.URL, ".json"))
	if err := os.WriteFile(cache, []byte(`{"changeNumber": 7, "cloud": "AzureGovernment", "values": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	s3, logs := newTestSet(t, cfg)
	st = s3.Status().Sources[0]
	if st.Origin != OriginEmbedded || st.InForce != "embedded snapshot, changeNumber 401, published 2026-07-13" ||
		st.Published.Format(time.DateOnly) != "2026-07-13" || st.Age < 24*time.Hour {
		t.Fatalf("restart with a damaged cache: %+v", st)
	}
	for _, want := range []string{"service-tag cache is damaged; falling back to the embedded snapshot azure-government", cache, "invalid JSON",
		`origin="embedded snapshot, changeNumber 401, published 2026-07-13"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestSetRecoversFromCachedWedge: the dead end. An older tagwall
// cached an inflated document (1401) without AzureCloud; after a restart
// it is in force from the cache, and the real feed (401) is no longer
// refused for ever: it is held as a regression and installed on the third
// consecutive fetch.
func TestSetRecoversFromCachedWedge(t *testing.T) {
	f := newFeed(t, sharedFile(t, "azure-government-2026-07-13.json"))
	dir := t.TempDir()
	bad := mutate(t, sharedDoc(t, "azure-government-2026-07-13.json"), 1401, "AzureCloud")
	if err := os.WriteFile(filepath.Join(dir, CacheName(f.srv.URL, ".json")), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}}, CacheDir: dir})
	if st := s.Status().Sources[0]; st.Origin != OriginCache || st.ChangeNumber != 1401 {
		t.Fatalf("after restart: %+v", st)
	}
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
			t.Fatalf("fetch %d: %v", i, err)
		}
	}
	if changed, err := s.Refresh(ctx); !changed || err != nil {
		t.Fatalf("third fetch: changed %v, err %v", changed, err)
	}
	if cn, _ := inForce(s, "AzureCloud"); cn != 126 || s.Status().ChangeNumber != 401 {
		t.Fatalf("AzureCloud at %d, document %d", cn, s.Status().ChangeNumber)
	}
}

// TestSetFleetHooks: OnHold reports a hold (bytes and status) and its end;
// FindVersion, Pinned and SetPins let a fleet share pins, prefixes
// included, with a Set that never saw the version.
func TestSetFleetHooks(t *testing.T) {
	f := newFeed(t, sharedFile(t, "azure-government-2026-07-13.json"))
	type call struct {
		n    int
		held *HeldStatus
	}
	var holds []call
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: f.srv.URL}},
		OnHold: func(_ string, data []byte, h *HeldStatus) { holds = append(holds, call{len(data), h}) }})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(sharedFile(t, "azure-china-2026-07-13.json"))
	if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("China document: %v", err)
	}
	if len(holds) != 1 || holds[0].n == 0 || holds[0].held == nil || holds[0].held.ChangeNumber != 404 {
		t.Fatalf("OnHold after the hold: %+v", holds)
	}
	if err := s.Accept(""); err != nil {
		t.Fatal(err)
	}
	if len(holds) != 2 || holds[1].n != 0 || holds[1].held != nil {
		t.Fatalf("OnHold after the accept: %+v", holds)
	}

	// Pins: a version this Set knows, handed to another Set.
	cur := s.Current()
	name := cur.TagNames()[0]
	tg, _ := cur.Lookup(name)
	v, err := s.FindVersion(name, tg.ChangeNumber)
	if err != nil || v.Name != tg.Name || len(v.Prefixes) != len(tg.Prefixes) {
		t.Fatalf("FindVersion: %+v %v", v, err)
	}
	if _, err := s.FindVersion(name, tg.ChangeNumber+1000); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("FindVersion of an unseen version: %v", err)
	}
	other, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: newFeed(t, sharedFile(t, "azure-government-2026-07-13.json")).srv.URL}}})
	if _, err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v.ChangeNumber = 99 // a version other never saw
	v.Prefixes = v.Prefixes[:1]
	if changed, err := other.SetPins([]Tag{v}); !changed || err != nil {
		t.Fatalf("SetPins: %v %v", changed, err)
	}
	if got, ok := other.Current().Lookup(name); !ok || got.ChangeNumber != 99 || len(got.Prefixes) != 1 {
		t.Fatalf("the pinned version is not in force: %+v", got)
	}
	if p := other.Pinned(); len(p) != 1 || p[0].ChangeNumber != 99 {
		t.Fatalf("Pinned: %+v", p)
	}
	if changed, err := other.SetPins([]Tag{v}); changed || err != nil {
		t.Fatalf("SetPins again: %v %v, want no change", changed, err)
	}
	if _, err := other.SetPins([]Tag{{}}); err == nil {
		t.Fatal("a pin with no name accepted")
	}
	if changed, err := other.SetPins(nil); !changed || err != nil || len(other.Pinned()) != 0 {
		t.Fatalf("SetPins(nil): %v %v", changed, err)
	}
	if got, _ := other.Current().Lookup(name); got.ChangeNumber == 99 {
		t.Fatal("the pin stayed in force after SetPins(nil)")
	}
}
