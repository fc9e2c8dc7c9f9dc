package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/clientconfig"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/testutil"
)

// plane is the real API, controller and front door in process, as `tagwall
// serve` wires them, for the CLI's tagwall-extension verbs.
type plane struct {
	env    Env
	gw     *gateway.Gateway
	gwAddr string
	audit  *testutil.SyncBuffer
	reg    *prometheus.Registry
	cat    *servicetag.Catalog
}

// systemRange is the cluster egress every list admits in these tests.
var systemRange = netip.MustParsePrefix("198.51.100.0/28")

func newPlane(t *testing.T) *plane {
	t.Helper()
	data, err := os.ReadFile(testutil.ServiceTags(t, testutil.PublicTags))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := servicetag.Parse("public.json", data)
	if err != nil {
		t.Fatal(err)
	}
	p := &plane{audit: &testutil.SyncBuffer{}, reg: prometheus.NewRegistry(), cat: servicetag.NewCatalog(doc)}
	p.gw, err = gateway.New(gateway.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Audit: p.audit, Registerer: p.reg})
	if err != nil {
		t.Fatal(err)
	}
	up := testutil.HoldingUpstream(t, 5*time.Second) // holds the session open
	ln, err := gateway.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.gwAddr = ln.Addr().String()
	go p.gw.Serve(ln)
	st := memstore.New()
	catalog := func() *servicetag.Catalog { return p.cat }
	h, err := api.New(api.Config{Store: st, Catalog: catalog, Auth: api.StaticToken{Token: testToken}, FeatureDelay: -1,
		Subscriptions: []api.Subscription{{ID: testSub, DisplayName: "s", TenantID: "t"}},
		Access:        p.gw, SystemRanges: []netip.Prefix{systemRange}})
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := controller.New(controller.Config{Store: st, Catalog: catalog, SystemRanges: []netip.Prefix{systemRange},
		Apply: func(rs []controller.Route) {
			out := make([]gateway.Route, 0, len(rs))
			for _, r := range rs {
				out = append(out, gateway.Route{Name: r.ClusterID, SNI: r.SNI, Upstream: up, Allow: r.Allow,
					Version: r.Version, Grants: r.Grants, Shadow: r.Shadow})
			}
			p.gw.SetRoutes(out)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ctrl.Run(ctx) }()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		sctx, c2 := context.WithTimeout(context.Background(), time.Second)
		defer c2()
		p.gw.Shutdown(sctx)
	})
	dir := t.TempDir()
	path := filepath.Join(dir, "tagwall", "config.json")
	if err := clientconfig.Save(path, clientconfig.Config{Endpoint: srv.URL + "/", Token: testToken, Subscription: testSub}); err != nil {
		t.Fatal(err)
	}
	p.env = Env{ConfigPath: path, Home: dir, Transport: srv.Client().Transport, Sleep: func(time.Duration) {}}
	return p
}

// run runs the CLI and returns stdout, stderr and the exit status.
func (p *plane) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	code := Run(p.env, args, &o, &e)
	return o.String(), e.String(), code
}

func (p *plane) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := p.run(t, args...)
	if code != 0 {
		t.Fatalf("tagwall %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// sni returns the cluster's fqdn once the front door has its route.
func (p *plane) sni(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range p.gw.Routes() {
			if strings.HasSuffix(r.Name, "/c1") {
				return r.SNI
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no route for c1")
	return ""
}

// connect reports whether the front door admits client for sni (it dials
// the silent upstream, so the handshake times out instead of failing).
func (p *plane) connect(t *testing.T, client, sni string) bool {
	t.Helper()
	c, err := testutil.DialProxied(context.Background(), p.gwAddr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(300 * time.Millisecond))
	err = tc.Handshake()
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// eventually polls cond for up to 5 s (the controller applies
// asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *plane) create(t *testing.T, ranges string) string {
	t.Helper()
	p.must(t, "group", "create", "-n", "rg1", "-l", "eastus")
	p.must(t, "aks", "create", "-g", "rg1", "-n", "c1", "--api-server-authorized-ip-ranges", ranges)
	return p.sni(t)
}

func TestCLIAccessGrant(t *testing.T) {
	p := newPlane(t)
	sni := p.create(t, "20.20.20.20")
	out := p.must(t, "aks", "access", "grant", "-g", "rg1", "-n", "c1", "--ip", "20.20.20.30", "--duration", "3s", "--reason", "incident")
	var g struct {
		Name       string
		Properties struct{ Range, ExpiresAt, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil || g.Name != "20-20-20-30" || g.Properties.Range != "20.20.20.30/32" {
		t.Fatalf("grant answer %q (%v)", out, err)
	}
	eventually(t, "the grant to admit", func() bool { return p.connect(t, "20.20.20.30", sni) })
	out, _, code := p.run(t, "aks", "check-access", "-g", "rg1", "-n", "c1", "--ip", "20.20.20.30")
	if code != 0 || !strings.Contains(out, `"kind": "grant"`) {
		t.Errorf("check-access during the grant: exit %d %s", code, out)
	}
	if out := p.must(t, "aks", "access", "list", "-g", "rg1", "-n", "c1", "-o", "table"); !strings.Contains(out, "20.20.20.30/32") || !strings.Contains(out, "Active") {
		t.Errorf("list:\n%s", out)
	}
	expires, _ := time.Parse(time.RFC3339, g.Properties.ExpiresAt)
	time.Sleep(time.Until(expires) + time.Second)
	if p.connect(t, "20.20.20.30", sni) {
		t.Error("admitted after the grant expired")
	}
	if _, _, code := p.run(t, "aks", "check-access", "-g", "rg1", "-n", "c1", "--ip", "20.20.20.30"); code != 1 {
		t.Errorf("check-access after expiry: exit %d, want 1", code)
	}
	p.must(t, "aks", "access", "grant", "-g", "rg1", "-n", "c1", "--ip", "20.20.21.0/24", "--grant-name", "ci")
	eventually(t, "the ci grant", func() bool { return p.connect(t, "20.20.21.9", sni) })
	p.must(t, "aks", "access", "revoke", "-g", "rg1", "-n", "c1", "--grant-name", "ci")
	eventually(t, "the revoke", func() bool { return !p.connect(t, "20.20.21.9", sni) })
	if err := p.gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	if a := p.audit.String(); !strings.Contains(a, `"msg":"grant-expired"`) {
		t.Errorf("no grant-expired audit line:\n%s", a)
	}
}

func TestCLICutOffGuard(t *testing.T) {
	p := newPlane(t)
	sni := p.create(t, "20.20.20.0/24")
	for _, a := range []string{"20.20.20.5", "20.20.20.6", "20.20.20.6"} {
		if !p.connect(t, a, sni) {
			t.Fatalf("%s refused", a)
		}
	}
	out := p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--api-server-authorized-ip-ranges", "20.30.0.0/16", "--dry-run")
	for _, want := range []string{`"dryRun": true`, `"ipAddress": "20.20.20.6"`, `"count": 2`, `"ipAddress": "20.20.20.5"`, `"newlyAdmittedIPv4Addresses": 65536`} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %s:\n%s", want, out)
		}
	}
	_, errs, code := p.run(t, "aks", "update", "-g", "rg1", "-n", "c1", "--api-server-authorized-ip-ranges", "20.30.0.0/16")
	if code != 1 || !strings.Contains(errs, "WouldCutOffClients") || !strings.Contains(errs, "20.20.20.6 (2 connections") || !strings.Contains(errs, "20.20.20.5 (1 connections") {
		t.Errorf("update without --allow-cut-off: exit %d\n%s", code, errs)
	}
	out = p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--api-server-authorized-ip-ranges", "20.30.0.0/16", "--allow-cut-off")
	if !strings.Contains(out, `"20.30.0.0/16"`) {
		t.Errorf("update with --allow-cut-off:\n%s", out)
	}
	eventually(t, "the new list", func() bool { return !p.connect(t, "20.20.20.5", sni) })
}

func TestCLIShadowAndCheckAccess(t *testing.T) {
	p := newPlane(t)
	p.must(t, "feature", "register", "--namespace", "Microsoft.ContainerService", "--name", "EnableServiceTagAuthorizedIPPreview")
	p.must(t, "provider", "register", "--namespace", "Microsoft.ContainerService")
	p.must(t, "extension", "add", "--name", "aks-preview")
	sni := p.create(t, "AzureCloud,20.20.20.20,20.20.20.21")
	p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--shadow-authorized-ip-ranges", "20.20.20.21")
	eventually(t, "the shadow list", func() bool { return p.gw.Routes()[0].Shadow != nil })
	if !p.connect(t, "20.20.20.20", sni) {
		t.Fatal("the shadow list enforced: 20.20.20.20 refused")
	}
	if err := p.gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	if a := p.audit.String(); !strings.Contains(a, `"msg":"shadow"`) || !strings.Contains(a, `"reason":"would-deny"`) {
		t.Errorf("no would-deny audit line:\n%s", a)
	}
	tagAddr := ""
	tag, _ := p.cat.Lookup("AzureCloud")
	for _, pf := range tag.Prefixes {
		if pf.Addr().Is4() {
			tagAddr = pf.Addr().Next().String()
			break
		}
	}
	p.must(t, "aks", "access", "grant", "-g", "rg1", "-n", "c1", "--ip", "20.20.22.7", "--reason", "vendor")
	eventually(t, "the grant", func() bool { return p.connect(t, "20.20.22.7", sni) })
	tests := []struct {
		name, addr string
		code       int
		want       []string
	}{
		{name: "range", addr: "20.20.20.21", want: []string{`"kind": "range"`, `"prefix": "20.20.20.21/32"`}},
		{name: "tag prefix", addr: tagAddr, want: []string{`"kind": "tag"`, `"tag": "AzureCloud"`, `"changeNumber"`}},
		{name: "grant", addr: "20.20.22.7", want: []string{`"kind": "grant"`, `"entry": "20-20-22-7"`, `"expiresAt"`}},
		{name: "system range", addr: "198.51.100.3", want: []string{`"kind": "system"`, `"prefix": "198.51.100.0/28"`}},
		{name: "refused", addr: "8.8.8.8", code: 1, want: []string{`"allowed": false`, `"kind": "none"`}},
		{name: "bad input", addr: "nope", code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := p.run(t, "aks", "check-access", "-g", "rg1", "-n", "c1", "--ip", tt.addr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
		})
	}
	p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--promote-shadow", "--allow-cut-off")
	eventually(t, "the promoted list", func() bool { return !p.connect(t, "20.20.20.20", sni) })
	if !p.connect(t, "20.20.20.21", sni) {
		t.Error("20.20.20.21 refused after promote")
	}
	p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--shadow-authorized-ip-ranges", "20.20.20.20")
	p.must(t, "aks", "update", "-g", "rg1", "-n", "c1", "--clear-shadow")
	eventually(t, "the cleared shadow", func() bool { return p.gw.Routes()[0].Shadow == nil })
}
