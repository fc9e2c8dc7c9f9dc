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
	"sync/atomic"
	"testing"
	"time"
)

func TestNewSource(t *testing.T) {
	tests := []struct {
		name, in string
		wantHTTP bool
		wantErr  string
	}{
		{"path", "/var/lib/tagwall/tags.json", false, ""},
		{"http", "http://127.0.0.1:1/x.json", true, ""},
		{"https", "https://127.0.0.1:1/x.json", true, ""},
		{"empty", "", false, "empty path or URL"},
		{"bad url", "http://[::1", false, `new service-tag source "http://[::1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewSource(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, isHTTP := src.(*HTTPSource); isHTTP != tt.wantHTTP || src.String() != tt.in {
				t.Errorf("got %T %q", src, src)
			}
		})
	}
}

func TestFileSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tags.json")
	src := FileSource(path)
	if _, _, err := src.Fetch(context.Background()); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte(tinyDownload), 0o600); err != nil {
		t.Fatal(err)
	}
	data, notModified, err := src.Fetch(context.Background())
	if err != nil || notModified || string(data) != tinyDownload {
		t.Fatalf("Fetch = %d bytes, %v, %v", len(data), notModified, err)
	}
}

// conditionalServer serves body with an ETag and a Last-Modified date and
// answers 304 to a matching conditional request. It counts requests.
type conditionalServer struct {
	body     atomic.Pointer[string]
	status   atomic.Int32
	requests atomic.Int32
	sawCond  atomic.Int32
}

func (s *conditionalServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if st := s.status.Load(); st != 0 {
		http.Error(w, "boom", int(st))
		return
	}
	body := *s.body.Load()
	etag := `"` + string(rune('a'+len(body)%26)) + `"`
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		s.sawCond.Add(1)
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Mon, 13 Oct 2025 00:00:00 GMT")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(body))
}

func TestHTTPSourceConditionalGet(t *testing.T) {
	cs := &conditionalServer{}
	body := tinyDownload
	cs.body.Store(&body)
	srv := httptest.NewServer(cs)
	defer srv.Close()
	src, err := NewHTTPSource(srv.URL+"/ServiceTags_Public.json", HTTPOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data, notModified, err := src.Fetch(ctx)
	if err != nil || notModified || string(data) != tinyDownload {
		t.Fatalf("first Fetch = %d bytes, %v, %v", len(data), notModified, err)
	}
	data, notModified, err = src.Fetch(ctx)
	if err != nil || !notModified || data != nil {
		t.Fatalf("second Fetch = %d bytes, %v, %v; want notModified", len(data), notModified, err)
	}
	if cs.sawCond.Load() != 1 {
		t.Errorf("conditional requests seen: %d", cs.sawCond.Load())
	}
	changed := tinyDownload + " "
	cs.body.Store(&changed)
	if data, notModified, err = src.Fetch(ctx); err != nil || notModified || string(data) != changed {
		t.Fatalf("third Fetch = %d bytes, %v, %v", len(data), notModified, err)
	}
}

func TestHTTPSourceErrors(t *testing.T) {
	cs := &conditionalServer{}
	big := strings.Repeat("x", 2048)
	cs.body.Store(&big)
	srv := httptest.NewServer(cs)
	defer srv.Close()
	ctx := context.Background()

	small, _ := NewHTTPSource(srv.URL, HTTPOptions{MaxBytes: 1024})
	if _, _, err := small.Fetch(ctx); err == nil || !strings.Contains(err.Error(), "larger than the 1024-byte cap") {
		t.Errorf("size cap: %v", err)
	}
	cs.status.Store(http.StatusInternalServerError)
	src, _ := NewHTTPSource(srv.URL+"/tags", HTTPOptions{})
	_, _, err := src.Fetch(ctx)
	if err == nil || !strings.Contains(err.Error(), "status 500 Internal Server Error") || !strings.Contains(err.Error(), srv.URL+"/tags") {
		t.Errorf("non-2xx: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := src.Fetch(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestHTTPSourceTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	src, _ := NewHTTPSource(srv.URL, HTTPOptions{Timeout: 50 * time.Millisecond})
	if _, _, err := src.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("got %v, want a timeout", err)
	}
}

// TestHTTPSourceBodyCap checks that a body over the cap is refused after
// reading at most cap+1 bytes, whether or not Content-Length announces it:
// an endless body must not be held in memory.
func TestHTTPSourceBodyCap(t *testing.T) {
	var written atomic.Int64
	chunk := []byte(strings.Repeat("{", 4096))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/announced" {
			w.Header().Set("Content-Length", "1000000000")
		}
		for r.Context().Err() == nil { // endless
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	tests := []struct {
		name, path, want string
	}{
		{name: "content-length over the cap", path: "/announced", want: "response of 1000000000 bytes is larger than the 65536-byte cap"},
		{name: "chunked endless body", path: "/chunked", want: "response larger than the 65536-byte cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := NewHTTPSource(srv.URL+tt.path, HTTPOptions{MaxBytes: 64 << 10})
			start := time.Now()
			_, _, err := src.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("refusing took %v", d)
			}
		})
	}
}
