package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"github.com/tagwall/tagwall/internal/testutil"
)

// TestGatewayConsole runs `tagwall gateway` with ui: true: the console on
// the metrics address needs the uiTokenFile's token, shows the file's
// routes read-only, and a refusal by a route appears on its page.
func TestGatewayConsole(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "ui-token")
	const token = "gateway-console-token-0123456789"
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "gateway.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `listen: 127.0.0.1:0
metrics: 127.0.0.1:0
ui: true
uiTokenFile: ui-token
proxyProtocol: {trustedPeers: [127.0.0.0/8]}
serviceTags: [{source: %s}]
routes:
  - {name: prod, sni: api.prod.example.test, upstream: 127.0.0.1:1, authorizedIPRanges: [AzureCloud, 20.20.20.20]}
  - {name: dev, sni: api.dev.example.test, upstream: 127.0.0.1:1, authorizedIPRanges: [52.10.0.0/16]}
`, mustAbsPath(t, shared(t, "azure-public-2025-10-13.json"))), 0o600)
	var stdout, stderr testutil.SyncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"gateway", "--config", cfgPath, "--shutdown-timeout", "1s"}, &stdout, &stderr)
	}()
	defer func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("gateway did not stop on SIGTERM")
		}
	}()
	logged := func(re string) string {
		t.Helper()
		r := regexp.MustCompile(re)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if m := r.FindStringSubmatch(stderr.String()); m != nil {
				return m[1]
			}
			select {
			case code := <-exited:
				t.Fatalf("gateway exited %d: %s", code, stderr.String())
			default:
			}
		}
		t.Fatalf("no log line %s: %s", re, stderr.String())
		return ""
	}
	addr := logged(`"msg":"gateway listening","addr":"([^"]+)"`)
	ui := logged(`"msg":"web console","url":"([^"]+)"`)

	// A client admitted by dev but not by prod is refused by prod's list.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	src := net.TCPAddrFromAddrPort(netip.MustParseAddrPort("52.10.1.1:1"))
	proxyproto.HeaderProxyFromAddrs(2, src, c.LocalAddr()).WriteTo(c)
	tc := tls.Client(c, &tls.Config{ServerName: "api.prod.example.test", InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(3 * time.Second))
	if tc.Handshake() == nil {
		t.Error("52.10.1.1 was let through to prod")
	}
	c.Close()

	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, cookie string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(ui, "/ui/")+path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/ui/clusters", ""); code != http.StatusSeeOther {
		t.Fatalf("no session: %d", code)
	}
	// Sign in (the browser's steps: the form's token and its cookie).
	req, _ := http.NewRequest(http.MethodGet, ui+"signin", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pre := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if pre == nil || len(resp.Cookies()) == 0 {
		t.Fatalf("sign-in page: %s", page)
	}
	for _, tok := range []string{"wrong-token-0123456789", token} {
		form := url.Values{"csrf": {string(pre[1])}, "token": {tok}}
		req, _ = http.NewRequest(http.MethodPost, ui+"signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(resp.Cookies()[0])
		sresp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		sresp.Body.Close()
		if tok != token {
			if sresp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong token: %d", sresp.StatusCode)
			}
			continue
		}
		var session string
		for _, ck := range sresp.Cookies() {
			if ck.Name == "tagwall_session" {
				session = ck.Name + "=" + ck.Value
			}
		}
		if sresp.StatusCode != http.StatusSeeOther || session == "" {
			t.Fatalf("sign-in: %d", sresp.StatusCode)
		}
		code, body := get("/ui/clusters", session)
		if code != http.StatusOK || !strings.Contains(body, ">prod<") || !strings.Contains(body, ">dev<") {
			t.Fatalf("clusters: %d\n%s", code, body)
		}
		code, body = get("/ui/clusters/gateway/gateway.yaml/prod", session)
		for _, w := range []string{"api.prod.example.test", "52.10.1.1", "not-authorized", "read-only", "AzureCloud"} {
			if !strings.Contains(body, w) {
				t.Errorf("prod page (%d) lacks %q", code, w)
			}
		}
	}
}
