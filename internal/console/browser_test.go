package console_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tagwall/tagwall/internal/testutil"
)

// TestBrowserConsole drives the console in Debian's chromium: sign in,
// clusters table, cluster page, a refused and an accepted list change,
// service tags and check-an-address, keyboard entry, no console error
// (CSP violations included), a screenshot of every view.
func TestBrowserConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t)
	seed(t, e)
	e.rec.Record(clusterPath(subA, "rg-a", "alpha"), netip.MustParseAddr("192.0.2.45"), false, "not-authorized", time.Now())
	b := testutil.NewBrowser(t)
	base := e.srv.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	b.Do(t, "open the console", chromedp.Navigate(base+"/ui/clusters"), chromedp.WaitVisible(css("#token")))
	b.Screenshot(t, "signin")
	// The skip link is the first stop of the keyboard.
	b.Do(t, "tab to the skip link", chromedp.KeyEvent("\t"))
	focused, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil || focused != "skip" {
		t.Errorf("first tab stop %q (%v), want the skip link", focused, err)
	}
	b.Do(t, "sign in", chromedp.SendKeys(css("#token"), adminToken), chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("table.data")))
	if txt := b.Text(t, "main"); !strings.Contains(txt, "alpha") || !strings.Contains(txt, "bravo") {
		t.Fatalf("clusters table: %s", txt)
	}
	b.Screenshot(t, "clusters")

	b.Do(t, "open alpha", chromedp.Click(css(`a[href$="/rg-a/alpha"]`)), chromedp.WaitVisible(css("#entries")))
	if txt := b.Text(t, "#refusals"); !strings.Contains(txt, "192.0.2.45") {
		t.Errorf("latest refusals: %s", txt)
	}
	b.Screenshot(t, "cluster")

	b.Allow("status of 400") // the refused list answers 400, which chromium logs
	b.Do(t, "save a list the API refuses", chromedp.SetValue(css("#ranges"), "AzureCloud, Storage"),
		chromedp.Submit(css("#ranges")), chromedp.WaitVisible(css("#ranges-error")))
	if txt := b.Text(t, "#ranges-error"); !strings.Contains(txt, "only one service tag is allowed") {
		t.Errorf("form error: %s", txt)
	}
	b.Screenshot(t, "cluster-refused-list")
	b.Do(t, "save a good list", chromedp.SetValue(css("#ranges"), "AzureCloud, 20.20.20.20, 52.10.0.0/16"),
		chromedp.Submit(css("#ranges")), chromedp.WaitVisible(css(".notice.ok")))

	b.Do(t, "service tags", chromedp.Navigate(base+"/ui/tags?q=AzureCloud.west&addr=20.20.20.20"), chromedp.WaitVisible(css("#tag-results")))
	b.Screenshot(t, "tags")

	b.Do(t, "check an address", chromedp.Navigate(base+"/ui/check"), chromedp.WaitVisible(css("#cluster")),
		chromedp.SetValue(css("#cluster"), subA+"/rg-a/alpha"), chromedp.SendKeys(css("#addr"), "52.10.9.9"),
		chromedp.Submit(css("#addr")), chromedp.WaitVisible(css("#verdict")))
	if txt := b.Text(t, "#verdict"); !strings.Contains(txt, "admitted") {
		t.Errorf("verdict: %s", txt)
	}
	b.Screenshot(t, "check")

	// Every view: each form control has a label, and on a phone's width
	// nothing but a table's own scroller is wider than the screen.
	views := []string{"/ui/clusters", "/ui/clusters/" + subA + "/rg-a/alpha", "/ui/tags?q=AzureCloud&addr=20.20.20.20", "/ui/check"}
	for _, v := range views {
		b.Do(t, "open "+v, chromedp.Navigate(base+v), chromedp.WaitVisible(css("main")))
		n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')].filter(e => !e.labels || e.labels.length === 0).length`))
		if err != nil || n != 0 {
			t.Errorf("%s: %d unlabelled form controls (%v)", v, n, err)
		}
	}
	b.Do(t, "phone width", chromedp.EmulateViewport(390, 844))
	for _, v := range views {
		b.Do(t, "open "+v, chromedp.Navigate(base+v), chromedp.WaitVisible(css("main")))
		wide, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil || wide {
			t.Errorf("%s is wider than a phone's screen (%v)", v, err)
		}
	}
	b.Do(t, "cluster on a phone", chromedp.Navigate(base+views[1]), chromedp.WaitVisible(css("main")))
	b.Screenshot(t, "cluster-phone")
	b.NoConsoleErrors(t)
}
