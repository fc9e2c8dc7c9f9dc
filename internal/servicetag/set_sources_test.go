package servicetag

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSetSetSources reconfigures a running Set: a new source is loaded
// and fetched at once (Run wakes up), the priority order changes which
// source provides a shared name, and a removed source's tags go.
func TestSetSetSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", tinyDoc(t, "A", 1, map[string]int{"Shared": 1, "OnlyA": 1}))
	b := write("b.json", tinyDoc(t, "B", 1, map[string]int{"Shared": 3, "OnlyB": 1}))
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: a}}, Refresh: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return s.Current() != nil })

	if err := s.SetSources([]SourceConfig{{Location: b, Refresh: 2 * time.Hour}, {Location: a}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok := s.Current().Lookup("OnlyB"); return ok }) // fetched without waiting an hour
	if tag, _ := s.Current().Lookup("Shared"); len(tag.Prefixes) != 3 {
		t.Fatalf("Shared has %d prefixes, want b's 3", len(tag.Prefixes))
	}
	st := s.Status()
	if got := st.Sources[0].NextFetch.Sub(st.Sources[0].LastFetch); got != 2*time.Hour {
		t.Fatalf("b's interval %v, want its own 2h", got)
	}
	if err := s.SetSources([]SourceConfig{{Location: a}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Current().Lookup("OnlyB"); ok {
		t.Fatal("a removed source's tag is still in force")
	}
	tests := []struct {
		name    string
		sources []SourceConfig
	}{
		{name: "none", sources: nil},
		{name: "twice", sources: []SourceConfig{{Location: a}, {Location: a}}},
		{name: "empty location", sources: []SourceConfig{{Location: ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Current()
			if err := s.SetSources(tt.sources); err == nil {
				t.Fatal("SetSources succeeded")
			}
			if s.Current() != before || len(s.Sources()) != 1 {
				t.Fatal("a failed SetSources changed the Set")
			}
		})
	}
}

func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSetStatusJSON checks the status's JSON form (the readyz detail and
// `servicetags status -o json`).
func TestSetStatusJSON(t *testing.T) {
	s, _ := newTestSet(t, SetConfig{Cloud: "China", Now: func() time.Time { return time.Date(2026, 7, 14, 0, 0, 0, 0, time.UTC) }})
	st := s.Status()
	st.Sources[0].Err = errors.New("fetch service tags: offline")
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"origin":"embedded"`, `"inForce":"embedded snapshot, changeNumber 404, published 2026-07-13"`,
		`"ageSeconds":86400`, `"error":"fetch service tags: offline"`, `"published":"2026-07-13T00:00:00Z"`, `"counters":{"fetches":0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

// TestSetDefaultLive: with no sources the Set starts on the embedded
// snapshot, then the cloud's download page (served on loopback) confirms
// it (origin live, now cached) and later brings a newer document.
func TestSetDefaultLive(t *testing.T) {
	const link = "https://download.microsoft.com/download/6/4/d/64DB03BF-895B-4173-A8B1-BA4AD5D4DF22/ServiceTags_AzureGovernment_20260713.json"
	f := newFeed(t, sharedFile(t, "azure-government-2026-07-13.json"))
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "details.aspx") {
			_, _ = io.WriteString(w, `<a href="`+link+`">Download</a>`)
			return
		}
		f.serve(w, r)
	}))
	defer page.Close()
	to, _ := url.Parse(page.URL)
	dir := t.TempDir()
	s, _ := newTestSet(t, SetConfig{Cloud: "AzureGovernment", CacheDir: dir, HTTP: HTTPOptions{Client: &http.Client{Transport: rewriteTransport{to}}}})
	if st := s.Status().Sources[0]; st.Origin != OriginEmbedded {
		t.Fatalf("before the fetch: %+v", st)
	}
	if changed, err := s.Refresh(context.Background()); changed || err != nil {
		t.Fatalf("same document live: changed %v, err %v", changed, err)
	}
	st := s.Status().Sources[0]
	if st.Origin != OriginLive || !strings.HasPrefix(st.InForce, "live, changeNumber 401, fetched ") {
		t.Fatalf("after the fetch: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, CacheName(GovernmentDownloadPage, ".json"))); err != nil {
		t.Fatalf("confirmed snapshot not cached: %v", err)
	}
	f.set(mutate(t, sharedDoc(t, "azure-government-2026-07-13.json"), 402))
	if changed, err := s.Refresh(context.Background()); !changed || err != nil {
		t.Fatalf("newer document: changed %v, err %v", changed, err)
	}
	if st := s.Status(); st.ChangeNumber != 402 || st.Sources[0].Origin != OriginLive {
		t.Fatalf("after the newer document: %+v", st)
	}
}

// TestSetHooksMayReadTheSet: OnChange and OnInstall run after the lock is
// released (they may read the Set), and InUse is asked before it is taken,
// so a controller holding its own lock while calling the Set cannot
// deadlock against a refresh asking InUse.
func TestSetHooksMayReadTheSet(t *testing.T) {
	var ctrl sync.Mutex // the controller's lock
	var s *Set
	var changes, installs atomic.Int32
	src := &seqSource{}
	for cn := int64(1); cn <= 50; cn++ {
		src.push(fetchResult{data: tinyDoc(t, "Public", cn, map[string]int{"AzureCloud": 2, "Used": 1})})
	}
	s, _ = newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "x", Source: src}},
		InUse:     func() []string { ctrl.Lock(); defer ctrl.Unlock(); return []string{"Used"} },
		OnChange:  func(*Catalog) { _ = s.Status(); changes.Add(1) },
		OnInstall: func(string, []byte, bool) { _ = s.Status(); installs.Add(1) }})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			if _, err := s.Refresh(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 50 { // the controller pins under its own lock
		ctrl.Lock()
		_ = s.Pin("AzureCloud", 1)
		_ = s.Unpin("AzureCloud")
		ctrl.Unlock()
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("deadlock between the Set and its hooks")
	}
	if installs.Load() != 50 || changes.Load() < 50 {
		t.Fatalf("%d installs, %d changes", installs.Load(), changes.Load())
	}
}
