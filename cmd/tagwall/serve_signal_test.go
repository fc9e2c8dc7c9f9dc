package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/server"
)

// TestMain lets a test run this binary as `tagwall` (TAGWALL_AS_MAIN=1):
// signal tests need a process of their own. The tests' user cache dir
// (XDG_CACHE_HOME: the gateway's default service-tag cache,
// <cache>/tagwall/gateway-<hash of the config path>) is a temporary one,
// so runs with fresh config paths leave nothing in the real one.
func TestMain(m *testing.M) {
	if os.Getenv("TAGWALL_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	cache, err := os.MkdirTemp("", "tagwall-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

// TestServeStopsOnSIGTERM: `serve` exits 0 within 5 s of SIGTERM.
func TestServeStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "serve", "--data-dir", filepath.Join(dir, "data"), "--api-addr", "127.0.0.1:0",
		"--gateway-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--no-client-config",
		"--service-tags", shared(t, "azure-germany-2022-03-07.json"))
	cmd.Env = append(os.Environ(), "TAGWALL_AS_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "tagwall serve started") {
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit status %d after SIGTERM, want 0", ee.ExitCode())
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("exited %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("serve still running 5 s after SIGTERM")
	}
}

// stallingWriter accepts writes until stall is set, then blocks every
// write until release is closed: a log sink nobody drains.
type stallingWriter struct {
	mu      sync.Mutex
	buf     strings.Builder
	stall   atomic.Bool
	release chan struct{}
}

func (w *stallingWriter) Write(p []byte) (int, error) {
	if w.stall.Load() {
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *stallingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestStopDeadlineWhateverTheLogSink: once stopping, serve's hard exit
// fires at stopDeadline even when every log write blocks forever.
func TestStopDeadlineWhateverTheLogSink(t *testing.T) {
	w := &stallingWriter{release: make(chan struct{})}
	exited := make(chan time.Time, 1)
	old := hardExit
	hardExit = func() { exited <- time.Now(); close(w.release) }
	t.Cleanup(func() { hardExit = old })
	dir := t.TempDir()
	cfg := server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		ServiceTags: []string{shared(t, "azure-germany-2022-03-07.json")},
		Logger:      slog.New(slog.NewTextHandler(w, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, gwconfig.Prefilter{}) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(w.String(), "tagwall serve started") {
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.stall.Store(true)
	stop := time.Now()
	cancel()
	select {
	case at := <-exited:
		if d := at.Sub(stop); d > stopDeadline+500*time.Millisecond {
			t.Fatalf("hard exit %v after the stop, want about %v", d, stopDeadline)
		}
	case <-time.After(stopDeadline + 2*time.Second):
		t.Fatal("no hard exit while the log sink is stalled")
	}
	<-done
}
