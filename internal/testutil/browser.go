package testutil

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless Debian chromium driven through chromedp for one
// test (scripts/deps installs it). It collects every console message of
// the page, and Screenshot saves PNGs to $TAGWALL_SCREENSHOTS (created)
// or else to a directory of the test's own that is logged.
type Browser struct {
	Ctx context.Context
	Dir string // where screenshots go

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	allowed  []string // substrings of log entries a test expects (a 4xx page)
}

// NewBrowser starts chromium. It skips the test, naming scripts/deps, only
// when no chromium binary is installed; any other failure is fatal. The
// browser ignores certificate errors: tests serve their own test CAs.
func NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		tb.Skip("real-browser test skipped: no chromium on PATH (scripts/deps installs Debian's chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.IgnoreCertErrors, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "en-US"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{Ctx: ctx, Dir: os.Getenv("TAGWALL_SCREENSHOTS")}
	if b.Dir == "" {
		b.Dir = tb.TempDir()
	}
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		tb.Fatalf("create screenshot dir: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		tb.Fatalf("start chromium %s: %v", path, err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	return b
}

// Do runs actions with a one-minute bound and fails the test on error.
func (b *Browser) Do(tb testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browser: %s: %v", what, err)
	}
}

// Text returns the text of the first node sel matches.
func (b *Browser) Text(tb testing.TB, sel string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.Fatalf("browser: read text of %s: %v", sel, err)
	}
	return s
}

// Screenshot saves a full-page PNG as Dir/name.png and returns its path.
func (b *Browser) Screenshot(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("browser: screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.Dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.Fatalf("save screenshot %s: %v", p, err)
	}
	tb.Logf("screenshot %s", p)
	return p
}

// Allow accepts browser log entries containing s (a page the test expects
// to answer 4xx is logged by chromium as a failed resource load).
func (b *Browser) Allow(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, s)
}

// NoConsoleErrors fails the test for every error, exception or warning
// the pages wrote to the console (a CSP violation included), except the
// allowed ones.
func (b *Browser) NoConsoleErrors(tb testing.TB) {
	tb.Helper()
	time.Sleep(100 * time.Millisecond) // let the last events arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.messages {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleWarning {
			continue
		}
		ok := false
		for _, a := range b.allowed {
			if strings.Contains(m.Text, a) || strings.Contains(m.URL, a) {
				ok = true
			}
		}
		if !ok {
			tb.Errorf("browser console %s (%s)", m, m.URL)
		}
	}
}
