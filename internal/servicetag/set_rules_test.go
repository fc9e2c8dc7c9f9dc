package servicetag

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tinyOctet gives each test tag name its own second octet, so a tag's
// prefixes do not depend on which other tags a document has.
var tinyOctet = map[string]byte{"AzureCloud": 1, "Used": 2, "Unused": 3, "New": 4, "Shared": 5, "shared": 5, "OnlyA": 6, "OnlyB": 7, "Other": 8}

// tinyDoc builds a download document: each tag gets n /24 prefixes
// (tag T's j-th prefix is 10.tinyOctet[T].j.0/24).
func tinyDoc(tb testing.TB, cloud string, cn int64, tags map[string]int) []byte {
	tb.Helper()
	d := &Document{Cloud: cloud, ChangeNumber: cn}
	for _, name := range sortedKeys(tags) {
		i, ok := tinyOctet[name]
		if !ok {
			tb.Fatalf("tinyDoc: no octet for tag %q", name)
		}
		t := Tag{Name: name, ID: name, ChangeNumber: cn}
		for j := range tags[name] {
			t.Prefixes = append(t.Prefixes, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), byte(j), 0}), 24))
		}
		d.Tags = append(d.Tags, t)
	}
	out, err := MarshalDownload(d)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestSetUpdateRules checks each update check against a document in force
// with AzureCloud (10 prefixes), Used (10) and Unused (10).
func TestSetUpdateRules(t *testing.T) {
	base := map[string]int{"AzureCloud": 10, "Used": 10, "Unused": 10}
	with := func(changes map[string]int) map[string]int {
		m := map[string]int{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v < 0 {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name      string
		cloud     string
		cn        int64
		tags      map[string]int
		maxShrink float64
		pin       string
		want      []string // substrings of the hold reasons; nil: installed
		regOnly   bool
	}{
		{name: "forward, same tags", cloud: "Public", cn: 6, tags: base},
		{name: "same changeNumber, new bytes", cloud: "Public", cn: 5, tags: with(map[string]int{"New": 1})},
		{name: "unused tag disappears", cloud: "Public", cn: 6, tags: with(map[string]int{"Unused": -1})},
		{name: "unused tag shrinks to 1", cloud: "Public", cn: 6, tags: with(map[string]int{"Unused": 1})},
		{name: "tag in use loses 50%", cloud: "Public", cn: 6, tags: with(map[string]int{"Used": 5})},
		{name: "cloud differs", cloud: "China", cn: 6, tags: base, want: []string{`cloud "China" differs from "Public"`}},
		{name: "cloud differs in case only", cloud: "PUBLIC", cn: 6, tags: base},
		{name: "tag in use disappears", cloud: "Public", cn: 6, tags: with(map[string]int{"Used": -1}), want: []string{`tag "Used" is in use and would disappear`}},
		{name: "guarded tag disappears", cloud: "Public", cn: 6, tags: with(map[string]int{"AzureCloud": -1}), want: []string{`tag "AzureCloud"`}},
		{name: "tag in use loses 60%", cloud: "Public", cn: 6, tags: with(map[string]int{"Used": 4}), want: []string{`tag "Used" is in use and would lose 6 of its 10 prefixes (more than 50%)`}},
		{name: "tag in use loses 40% with MaxShrink 30%", cloud: "Public", cn: 6, tags: with(map[string]int{"Used": 6}), maxShrink: 0.3, want: []string{"lose 4 of its 10 prefixes (more than 30%)"}},
		{name: "pinned tag in use disappears", cloud: "Public", cn: 6, tags: with(map[string]int{"Used": -1}), pin: "Used"},
		{name: "regression only", cloud: "Public", cn: 4, tags: base, want: []string{"changeNumber regression from 5 to 4"}, regOnly: true},
		{name: "regression and a vanished tag", cloud: "Public", cn: 4, tags: with(map[string]int{"Used": -1}), want: []string{"regression", "disappear"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &seqSource{}
			s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "tiny", Source: src}}, MaxShrink: tt.maxShrink,
				InUse: func() []string { return []string{"used", "NotInThisSource"} }})
			src.push(fetchResult{data: tinyDoc(t, "Public", 5, base)})
			if _, err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tt.pin != "" {
				if err := s.Pin(tt.pin, 5); err != nil {
					t.Fatal(err)
				}
			}
			src.push(fetchResult{data: tinyDoc(t, tt.cloud, tt.cn, tt.tags)})
			changed, err := s.Refresh(context.Background())
			held := s.Status().Sources[0].Held
			if tt.want == nil {
				if err != nil || !changed || held != nil {
					t.Fatalf("want installed: changed %v, err %v, held %+v", changed, err, held)
				}
				return
			}
			if !errors.Is(err, ErrHeld) || held == nil || held.RegressionOnly != tt.regOnly {
				t.Fatalf("want held (regression only %v): err %v, held %+v", tt.regOnly, err, held)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if s.Current().Document().ChangeNumber != 5 {
				t.Fatalf("document in force changed to %d", s.Current().Document().ChangeNumber)
			}
		})
	}
}

// TestSetMultiSource: the first source that defines a tag provides it;
// later same-named tags are shadowed and counted.
func TestSetMultiSource(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"a.json": tinyDoc(t, "A", 3, map[string]int{"Shared": 1, "OnlyA": 2}),
		"b.json": tinyDoc(t, "B", 4, map[string]int{"shared": 3, "OnlyB": 1}),
	}
	var srcs []SourceConfig
	for _, name := range []string{"a.json", "b.json"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, SourceConfig{Location: p})
	}
	var changes atomic.Int32
	s, _ := newTestSet(t, SetConfig{Sources: srcs, OnChange: func(*Catalog) { changes.Add(1) }})
	if _, err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cat := s.Current()
	if got := fmt.Sprint(cat.TagNames()); got != "[OnlyA Shared OnlyB]" {
		t.Fatalf("tags %s", got)
	}
	if tag, _ := cat.Lookup("SHARED"); tag.Name != "Shared" || len(tag.Prefixes) != 1 {
		t.Fatalf("Shared = %+v, want source a's", tag)
	}
	st := s.Status()
	if st.Cloud != "A+B" || st.ChangeNumber != 7 || st.Sources[1].Shadowed != 1 || st.Sources[0].Shadowed != 0 {
		t.Fatalf("status %+v", st)
	}
	if changes.Load() != 2 {
		t.Fatalf("OnChange called %d times, want 2", changes.Load())
	}
	if _, err := NewSet(SetConfig{Sources: []SourceConfig{srcs[0], srcs[0]}}); err == nil {
		t.Fatal("NewSet accepted a source listed twice")
	}
}

// TestSetDefaultSourcesOffline: no sources configured, no cache, no
// network: the cloud's embedded snapshot is in force, named and dated.
func TestSetDefaultSourcesOffline(t *testing.T) {
	tests := []struct {
		cloud, page, want string
		tags              int
	}{
		{"", PublicDownloadPage, "embedded snapshot, changeNumber 373, published 2025-10-13", 3039},
		{"AzureGovernment", GovernmentDownloadPage, "embedded snapshot, changeNumber 401, published 2026-07-13", 299},
		{"china", ChinaDownloadPage, "embedded snapshot, changeNumber 404, published 2026-07-13", 327},
	}
	for _, tt := range tests {
		t.Run(tt.cloud, func(t *testing.T) {
			s, logs := newTestSet(t, SetConfig{Cloud: tt.cloud})
			st := s.Status()
			if len(st.Sources) != 1 || st.Sources[0].Source != tt.page || st.Sources[0].InForce != tt.want || st.Tags != tt.tags || !st.Ready() {
				t.Fatalf("status %+v", st)
			}
			if !strings.Contains(logs.String(), tt.want) {
				t.Fatalf("log lacks %q:\n%s", tt.want, logs)
			}
			if _, ok := s.Current().Lookup("AzureCloud"); !ok {
				t.Fatal("no AzureCloud in the embedded snapshot")
			}
		})
	}
	if _, err := NewSet(SetConfig{Cloud: "AzureGermany"}); err == nil {
		t.Fatal("NewSet accepted a cloud with no default source")
	}
}

// TestSetInstallReplica: a document from another replica goes through the
// same checks, is marked "replica" and is not published again.
func TestSetInstallReplica(t *testing.T) {
	var published int
	src := &seqSource{}
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "x", Source: src}},
		OnInstall: func(string, []byte, bool) { published++ }})
	if _, err := s.Install("", tinyDoc(t, "Public", 5, map[string]int{"AzureCloud": 3})); err != nil {
		t.Fatal(err)
	}
	if st := s.Status().Sources[0]; st.Origin != OriginReplica || !strings.HasPrefix(st.InForce, "replica, changeNumber 5") {
		t.Fatalf("status %+v", st)
	}
	if _, err := s.Install("x", tinyDoc(t, "Public", 9, map[string]int{"Other": 3})); !errors.Is(err, ErrHeld) {
		t.Fatalf("replica document without AzureCloud: %v", err)
	}
	if _, err := s.Install("x", []byte("<html>")); !errors.Is(err, ErrNotJSON) {
		t.Fatalf("replica garbage: %v", err)
	}
	if _, err := s.Install("y", nil); !errors.Is(err, ErrUnknownSource) {
		t.Fatalf("unknown source: %v", err)
	}
	if published != 0 || s.Status().Counters.Rejected != 1 {
		t.Fatalf("published %d, counters %+v", published, s.Status().Counters)
	}
}

// failingSource fails every Fetch and records when.
type failingSource struct {
	mu    sync.Mutex
	times []time.Time
}

func (f *failingSource) String() string { return "failing" }

func (f *failingSource) Fetch(context.Context) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	return nil, false, errors.New("connection refused")
}

// TestSetRunOneLoop: one loop serves every source; a good source is
// fetched once per Refresh interval, a failing one with the backoff
// (RetryMin doubling up to RetryMax).
func TestSetRunOneLoop(t *testing.T) {
	good := &seqSource{}
	good.push(fetchResult{data: tinyDoc(t, "Public", 1, map[string]int{"AzureCloud": 1})})
	bad := &failingSource{}
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "good", Source: good}, {Location: "bad", Source: bad}},
		Refresh: time.Hour, RetryMin: 20 * time.Millisecond, RetryMax: 80 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v", err)
	}
	bad.mu.Lock()
	defer bad.mu.Unlock()
	// 0, 20, 60, 140, 220, 300, ... ms: about 8 attempts in 600 ms.
	if n := len(bad.times); n < 4 || n > 12 {
		t.Fatalf("%d attempts on the failing source", n)
	}
	for i := 2; i < len(bad.times); i++ {
		if gap := bad.times[i].Sub(bad.times[i-1]); gap < 35*time.Millisecond {
			t.Fatalf("attempt %d came %v after the previous one: no backoff", i, gap)
		}
	}
	st := s.Status()
	if st.Sources[0].ChangeNumber != 1 || st.Sources[0].NextFetch.Sub(st.Sources[0].LastFetch) != time.Hour {
		t.Fatalf("good source: %+v", st.Sources[0])
	}
	if st.Sources[1].Err == nil || !strings.Contains(st.Sources[1].Err.Error(), "connection refused") || st.Counters.FetchErrors < 4 {
		t.Fatalf("failing source: %+v, counters %+v", st.Sources[1], st.Counters)
	}
}

// TestSetDiscoverySource runs a Set over a paged discovery-API feed with a
// bearer token: the pages are merged into one document.
func TestSetDiscoverySource(t *testing.T) {
	doc := sharedDoc(t, "azure-government-2026-07-13.json")
	srv := discoveryServer(t, doc, 100, func(base string, next int) string {
		return base + discoveryPath + "&$skipToken=" + fmt.Sprint(next)
	})
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: srv.URL + discoveryPath,
		Token: func(context.Context) (string, error) { return "tok", nil }}}})
	if _, err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Tags != len(doc.Tags) || st.ChangeNumber != 401 {
		t.Fatalf("status %+v", st)
	}
}

// TestSetMayFetch: a replica without the refresh claim does not fetch.
func TestSetMayFetch(t *testing.T) {
	bad := &failingSource{}
	var asked atomic.Int32
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "bad", Source: bad}}, RetryMin: 10 * time.Millisecond,
		MayFetch: func(context.Context, string) bool { asked.Add(1); return false }})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = s.Run(ctx)
	if len(bad.times) != 0 || asked.Load() < 3 {
		t.Fatalf("%d fetches, asked %d times", len(bad.times), asked.Load())
	}
}

// TestSetAcceptDocument replays an Accept on another replica.
func TestSetAcceptDocument(t *testing.T) {
	src := &seqSource{}
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "x", Source: src}}})
	if _, err := s.Install("", tinyDoc(t, "Public", 5, map[string]int{"AzureCloud": 3})); err != nil {
		t.Fatal(err)
	}
	other := tinyDoc(t, "China", 2, map[string]int{"Other": 1})
	if _, err := s.Install("", other); !errors.Is(err, ErrHeld) {
		t.Fatalf("Install: %v", err)
	}
	if changed, err := s.AcceptDocument("", other); !changed || err != nil {
		t.Fatalf("AcceptDocument: %v %v", changed, err)
	}
	if st := s.Status(); st.Cloud != "China" || st.Sources[0].Held != nil || st.Sources[0].Origin != OriginAccepted {
		t.Fatalf("status %+v", st.Sources[0])
	}
	if _, err := s.AcceptDocument("", []byte("{}")); err == nil {
		t.Fatal("AcceptDocument accepted an invalid document")
	}
}

// TestSetDamagedState: a damaged pins-and-holds file is an error from Load
// (and a log line); the documents are still in force.
func TestSetDamagedState(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tags.json")
	if err := os.WriteFile(p, tinyDoc(t, "Public", 5, map[string]int{"AzureCloud": 3}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := SetConfig{Sources: []SourceConfig{{Location: p}}, CacheDir: dir}
	s, _ := newTestSet(t, cfg)
	if _, err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	log, logs := testLog()
	cfg.Log = log
	s2, err := NewSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Load(); err == nil || !strings.Contains(err.Error(), stateName) {
		t.Fatalf("Load = %v", err)
	}
	if !strings.Contains(logs.String(), "service-tag pins and holds lost") || s2.Current() == nil {
		t.Fatalf("log:\n%s", logs)
	}
}

// TestSetHeldPassesLater: a document held because a tag in use vanished is
// installed on the next fetch once the tag is no longer in use.
func TestSetHeldPassesLater(t *testing.T) {
	var used atomic.Value
	used.Store([]string{"Used"})
	src := &seqSource{}
	s, _ := newTestSet(t, SetConfig{Sources: []SourceConfig{{Location: "x", Source: src}},
		InUse: func() []string { return used.Load().([]string) }})
	src.push(fetchResult{data: tinyDoc(t, "Public", 5, map[string]int{"AzureCloud": 1, "Used": 1})})
	next := tinyDoc(t, "Public", 6, map[string]int{"AzureCloud": 1})
	src.push(fetchResult{data: next})
	src.push(fetchResult{notModified: true})
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("vanished tag in use: %v", err)
	}
	used.Store([]string{})
	if changed, err := s.Refresh(ctx); !changed || err != nil {
		t.Fatalf("not-modified after the tag left use: changed %v, err %v", changed, err)
	}
	if st := s.Status(); st.ChangeNumber != 6 || st.Sources[0].Held != nil {
		t.Fatalf("status %+v", st.Sources[0])
	}
}
