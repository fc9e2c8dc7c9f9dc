package server

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tagwall/tagwall/internal/testutil"
)

// TestConsoleInBrowser runs `tagwall serve` in process on the real Azure
// Public document and drives its web console in Debian's chromium: sign
// in with the admin token, open the clusters table and a cluster, change
// its list through the form and see the front door enforce it (a probe
// through the gateway with a PROXY header from a trusted loopback peer),
// see the refused connection on the cluster page, check an address, browse
// service tags. It fails on any console error and saves a screenshot of
// every view ($TAGWALL_SCREENSHOTS or the test's temp dir).
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	m := start(t, publicConfig(t, t.TempDir()))
	s := newSeed(t, m)
	s.featureState(t, "register")
	eventually(t, 10*time.Second, "feature Registered", func() error {
		if st := s.featureState(t, ""); st != "Registered" {
			return errors.New(st)
		}
		return nil
	})
	s.registerProvider(t)
	s.createGroup(t)
	web, batch := &fleetCluster{name: "web"}, &fleetCluster{name: "batch"}
	web.putVia(t, s, "AzureCloud", "20.20.20.20")
	batch.putVia(t, s, "52.10.0.0/16") // admits the probe client: its refusals by web are routed to web
	resp, err := s.clusters.ListClusterUserCredentials(context.Background(), rg, "web", nil)
	if err != nil || len(resp.Kubeconfigs) != 1 {
		t.Fatalf("web kubeconfig: %v", err)
	}
	_, fqdn, caPEM, _ := parseKubeconfig(t, resp.Kubeconfigs[0].Value)
	probe := func() error {
		_, err := frontDoorGet(m.GatewayAddr(), "52.10.1.1", fqdn, caPEM, "/version")
		return err
	}
	if probe() == nil {
		t.Fatal("52.10.1.1 reached web before its list named it")
	}

	b := testutil.NewBrowser(t)
	ui := m.APIURL() + "ui/"
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	webPath := "/ui/clusters/" + m.Subscription() + "/" + rg + "/web"

	b.Do(t, "open the console", chromedp.Navigate(ui), chromedp.WaitVisible(css("#token")))
	b.Screenshot(t, "serve-signin")
	b.Do(t, "sign in", chromedp.SendKeys(css("#token"), m.Token()), chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("table.data")))
	if txt := b.Text(t, "main"); !strings.Contains(txt, "web") || !strings.Contains(txt, "batch") || !strings.Contains(txt, "AzureCloud") {
		t.Fatalf("clusters table: %s", txt)
	}
	b.Screenshot(t, "serve-clusters")

	b.Do(t, "open web", chromedp.Click(css(`a[href$="/`+rg+`/web"]`)), chromedp.WaitVisible(css("#entries")))
	if txt := b.Text(t, "main"); !strings.Contains(txt, strings.ToLower(fqdn)) || !strings.Contains(txt, "https://"+m.GatewayAddr()) {
		t.Errorf("cluster page lacks the SNI or the kubeconfig server: %s", txt)
	}

	// Admit the probe through the form; the front door enforces it.
	b.Do(t, "add 52.10.0.0/16", chromedp.SetValue(css("#ranges"), "AzureCloud, 20.20.20.20, 52.10.0.0/16"),
		chromedp.Submit(css("#ranges")), chromedp.WaitVisible(css(".notice.ok")))
	eventually(t, 10*time.Second, "front door admits 52.10.1.1", probe)
	// Take it away again; the next connection is refused and shows up.
	b.Do(t, "remove 52.10.0.0/16", chromedp.SetValue(css("#ranges"), "AzureCloud, 20.20.20.20"),
		chromedp.Submit(css("#ranges")), chromedp.WaitVisible(css(".notice.ok")))
	eventually(t, 10*time.Second, "front door refuses 52.10.1.1", func() error {
		if probe() == nil {
			return errors.New("still admitted")
		}
		return nil
	})
	eventually(t, 10*time.Second, "refusal on the cluster page", func() error {
		if err := chromedp.Do(b.Ctx, chromedp.Navigate(strings.TrimSuffix(m.APIURL(), "/")+webPath), chromedp.WaitVisible(css("#entries"))); err != nil {
			return err
		}
		if txt := b.Text(t, "main"); !strings.Contains(txt, "52.10.1.1") {
			return errors.New("52.10.1.1 not among the latest refusals")
		}
		return nil
	})
	b.Screenshot(t, "serve-cluster")

	b.Do(t, "check an address", chromedp.Navigate(ui+"check?cluster="+url.QueryEscape(m.Subscription()+"/"+rg+"/web")+"&addr=52.10.1.1"),
		chromedp.WaitVisible(css("#verdict")))
	if txt := b.Text(t, "#verdict"); !strings.Contains(txt, "refused") {
		t.Errorf("verdict: %s", txt)
	}
	b.Do(t, "check an AzureCloud address", chromedp.SetValue(css("#addr"), azureCloudAddr(t, m)),
		chromedp.Submit(css("#addr")), chromedp.WaitVisible(css("#verdict")))
	if txt := b.Text(t, "#verdict"); !strings.Contains(txt, "admitted") || !strings.Contains(txt, "AzureCloud") {
		t.Errorf("verdict: %s", txt)
	}
	b.Screenshot(t, "serve-check")

	b.Do(t, "service tags", chromedp.Navigate(ui+"tags?q=AzureCloud&addr="+azureCloudAddr(t, m)), chromedp.WaitVisible(css("#tag-results")))
	if txt := b.Text(t, "main"); !strings.Contains(txt, "AzureCloud") || !strings.Contains(txt, "Sources") {
		t.Errorf("tags page: %s", txt)
	}
	b.Screenshot(t, "serve-tags")
	b.NoConsoleErrors(t)
}
