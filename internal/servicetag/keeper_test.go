package servicetag

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// seqSource returns the next prepared response on each Fetch.
type seqSource struct {
	mu    sync.Mutex
	steps []fetchResult
}

type fetchResult struct {
	data        []byte
	notModified bool
	err         error
}

func (s *seqSource) String() string { return "test-source" }

func (s *seqSource) Fetch(context.Context) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.steps[0]
	s.steps = s.steps[1:]
	return r.data, r.notModified, r.err
}

func (s *seqSource) push(r fetchResult) {
	s.mu.Lock()
	s.steps = append(s.steps, r)
	s.mu.Unlock()
}

func TestKeeperKeepsLastGood(t *testing.T) {
	good := sharedFile(t, "azure-government-2026-07-06.json")  // cn 400
	newer := sharedFile(t, "azure-government-2026-07-13.json") // cn 401
	older := sharedFile(t, "azure-government-2026-05-04.json") // cn 391
	html := sharedFile(t, "cloudflare-ips-v4-error500-2024-10-29.html")

	src := &seqSource{}
	var changes []int64
	cache := filepath.Join(t.TempDir(), "servicetags.json")
	k := NewKeeper(src, WithCacheFile(cache), WithOnChange(func(old, new *Catalog) {
		if old != nil && old.Document().ChangeNumber != changes[len(changes)-1] {
			t.Errorf("OnChange old = %d", old.Document().ChangeNumber)
		}
		changes = append(changes, new.Document().ChangeNumber)
	}))
	if k.Current() != nil {
		t.Fatal("a new Keeper has a catalog in force")
	}
	tests := []struct {
		name        string
		fetch       fetchResult
		force       bool
		wantChanged bool
		wantErr     string // substring; "" means success
		wantCN      int64  // in force afterwards
	}{
		{"first good", fetchResult{data: good}, false, true, "", 400},
		{"same bytes again", fetchResult{data: good}, false, false, "", 400},
		{"not modified", fetchResult{notModified: true}, false, false, "", 400},
		{"html error page", fetchResult{data: html}, false, false, "looks like HTML", 400},
		{"html still served", fetchResult{notModified: true}, false, false, "looks like HTML", 400},
		{"truncated", fetchResult{data: newer[:len(newer)/2]}, false, false, "unexpected end of JSON input", 400},
		{"fetch error", fetchResult{err: errors.New("connection refused")}, false, false, "connection refused", 400},
		{"regression", fetchResult{data: older}, false, false, "changeNumber regression from 400 to 391", 400},
		{"newer", fetchResult{data: newer}, false, true, "", 401},
		{"forced regression", fetchResult{data: older}, true, true, "", 391},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src.push(tt.fetch)
			changed, err := k.Refresh(context.Background(), tt.force)
			st := k.Status()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Refresh error = %v, want %q", err, tt.wantErr)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if got := k.Current().Document().ChangeNumber; got != tt.wantCN || st.ChangeNumber != tt.wantCN {
				t.Errorf("in force: %d (status %d), want %d", got, st.ChangeNumber, tt.wantCN)
			}
			if !errors.Is(st.LastError, err) || st.LastAttempt.IsZero() || st.Source != "test-source" {
				t.Errorf("status = %+v", st)
			}
			if err == nil && st.LastSuccess != st.LastAttempt {
				t.Errorf("success not recorded: %+v", st)
			}
		})
	}
	if want := []int64{400, 401, 391}; !equalInts(changes, want) {
		t.Errorf("OnChange saw %v, want %v", changes, want)
	}
	cached, err := os.ReadFile(cache)
	if err != nil || string(cached) != string(older) {
		t.Fatalf("cache holds %d bytes (%v), want the document in force", len(cached), err)
	}

	// A restarted keeper reloads the last good document from the cache.
	k2 := NewKeeper(nil, WithCacheFile(cache))
	if err := k2.LoadCache(); err != nil {
		t.Fatal(err)
	}
	if got := k2.Current().Document().ChangeNumber; got != 391 {
		t.Errorf("after LoadCache: %d", got)
	}
	if _, err := k2.Refresh(context.Background(), false); !errors.Is(err, ErrNoSource) {
		t.Errorf("Refresh without source: %v", err)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestKeeperCacheErrors(t *testing.T) {
	dir := t.TempDir()
	if err := NewKeeper(nil).LoadCache(); err == nil {
		t.Error("LoadCache without a cache file succeeded")
	}
	missing := NewKeeper(nil, WithCacheFile(filepath.Join(dir, "none.json")))
	if err := missing.LoadCache(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing cache: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("<html>"), 0o600)
	if err := NewKeeper(nil, WithCacheFile(bad)).LoadCache(); !errors.Is(err, ErrNotJSON) {
		t.Errorf("bad cache: %v", err)
	}
	// A cache that cannot be written does not block the document.
	src := &seqSource{}
	src.push(fetchResult{data: []byte(tinyDownload)})
	k := NewKeeper(src, WithCacheFile(filepath.Join(dir, "no-such-dir", "c.json")))
	if changed, err := k.Refresh(context.Background(), false); !changed || err != nil {
		t.Fatalf("Refresh = %v, %v", changed, err)
	}
	if st := k.Status(); st.CacheError == nil || k.Current() == nil {
		t.Errorf("status = %+v", st)
	}
}

// TestKeeperConcurrent reads Current while refreshing, under -race.
func TestKeeperConcurrent(t *testing.T) {
	docs := [][]byte{sharedFile(t, "azure-germany-2022-03-07.json"), []byte(tinyDownload)}
	src := &seqSource{}
	k := NewKeeper(src)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if c := k.Current(); c != nil {
					_, _ = c.LookupTag("azurecloud")
				}
				_ = k.Status()
			}
		}()
	}
	for i := range 20 {
		src.push(fetchResult{data: docs[i%2]})
		if _, err := k.Refresh(ctx, true); err != nil {
			t.Error(err)
		}
	}
	cancel()
	wg.Wait()
}

func TestKeeperOverHTTP(t *testing.T) {
	cs := &conditionalServer{}
	good := string(sharedFile(t, "azure-germany-2022-03-07.json"))
	cs.body.Store(&good)
	srv := httptest.NewServer(cs)
	defer srv.Close()
	src, err := NewSource(srv.URL + "/ServiceTags_AzureGermany.json")
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeeper(src)
	ctx := context.Background()
	if changed, err := k.Refresh(ctx, false); !changed || err != nil {
		t.Fatalf("first Refresh = %v, %v", changed, err)
	}
	if changed, err := k.Refresh(ctx, false); changed || err != nil {
		t.Fatalf("304 Refresh = %v, %v", changed, err)
	}
	html := string(sharedFile(t, "cloudflare-ips-v4-error500-2024-10-29.html"))
	cs.body.Store(&html)
	if _, err := k.Refresh(ctx, false); !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("HTML Refresh = %v", err)
	}
	cs.status.Store(http.StatusInternalServerError)
	if _, err := k.Refresh(ctx, false); err == nil || !strings.Contains(err.Error(), "status 500") {
		t.Fatalf("500 Refresh = %v", err)
	}
	if got := k.Current().Document(); got.Cloud != "AzureGermany" || got.ChangeNumber != 193 {
		t.Errorf("in force: %s", got)
	}
	if st := k.Status(); st.LastError == nil || st.LastSuccess.IsZero() || st.Tags != 79 {
		t.Errorf("status = %+v", st)
	}
}
