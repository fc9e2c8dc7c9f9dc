package api_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/tagwall/tagwall/internal/store/boltstore"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/testutil"
)

// frontDoor is a real gateway on loopback fed with the controller's
// routes, as `tagwall serve` wires it; it is the API's AccessInspector.
type frontDoor struct {
	gw   *gateway.Gateway
	addr string
}

// newSafetyEnv starts the API and controller with a front door.
func newSafetyEnv(t *testing.T) (*env, *frontDoor) {
	t.Helper()
	gw, err := gateway.New(gateway.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	up := testutil.HoldingUpstream(t, 5*time.Second) // holds the session open
	ln, err := gateway.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ln)
	e := newEnv(t, envOpts{configure: func(c *api.Config) { c.Access = gw }})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // apply the controller's table, as the server wiring does
		var seen int64
		for ctx.Err() == nil {
			if n := e.applies.Load(); n != seen {
				seen = n
				gw.SetRoutes(toGateway(*e.routes.Load(), up))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	t.Cleanup(func() {
		cancel()
		sctx, c2 := context.WithTimeout(context.Background(), time.Second)
		defer c2()
		gw.Shutdown(sctx)
	})
	e.createGroup(t)
	return e, &frontDoor{gw: gw, addr: ln.Addr().String()}
}

func toGateway(rs []controller.Route, upstream string) []gateway.Route {
	out := make([]gateway.Route, 0, len(rs))
	for _, r := range rs {
		out = append(out, gateway.Route{Name: r.ClusterID, SNI: r.SNI, Upstream: upstream, Allow: r.Allow, Version: r.Version,
			Grants: r.Grants, Shadow: r.Shadow})
	}
	return out
}

// connect opens a connection as client (PROXY header from loopback) with
// a ClientHello for sni, and reports whether the gateway admitted it (it
// dialed the upstream, so the connection stays open past a short read).
func (fd *frontDoor) connect(t *testing.T, client, sni string) bool {
	t.Helper()
	c, err := testutil.DialProxied(context.Background(), fd.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	tc.SetDeadline(time.Now().Add(300 * time.Millisecond))
	err = tc.Handshake()
	var ne net.Error
	return err != nil && errorsAs(err, &ne) && ne.Timeout() // admitted: the upstream holds it silently
}

func errorsAs(err error, ne *net.Error) bool {
	v, ok := err.(net.Error)
	if ok {
		*ne = v
	}
	return ok
}

// waitRoute waits until the front door's route for the cluster has
// version-changed from before (pass "" the first time) and returns it.
func (fd *frontDoor) waitRoute(t *testing.T, before string) gateway.Route {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range fd.gw.Routes() {
			if strings.HasSuffix(r.Name, "/c1") && r.Version != before {
				return r
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("route of c1 did not change from %q", before)
	return gateway.Route{}
}

func (e *env) checkAccess(t *testing.T, addr string) map[string]any {
	t.Helper()
	resp := e.do(t, http.MethodPost, clusterPath+"/checkAccess"+mcVersion, `{"ipAddress":"`+addr+`"}`)
	if resp.StatusCode != 200 {
		code, msg := armError(t, resp)
		t.Fatalf("checkAccess %s: %d %s %s", addr, resp.StatusCode, code, msg)
	}
	return readJSON(t, resp)
}

func TestAccessGrants(t *testing.T) {
	e, fd := newSafetyEnv(t)
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil)); r.StatusCode != 201 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	r := fd.waitRoute(t, "")
	sni := r.SNI
	if fd.connect(t, "20.20.20.30", sni) {
		t.Fatal("20.20.20.30 admitted before its grant")
	}
	resp := e.do(t, http.MethodPut, clusterPath+"/accessGrants/oncall"+mcVersion, `{"properties":{"range":"20.20.20.30","duration":"3s","reason":"incident"}}`)
	if resp.StatusCode != 201 {
		code, msg := armError(t, resp)
		t.Fatalf("grant: %d %s %s", resp.StatusCode, code, msg)
	}
	g := readJSON(t, resp)["properties"].(map[string]any)
	if g["range"] != "20.20.20.30/32" || g["createdBy"] == "" || g["reason"] != "incident" {
		t.Errorf("grant = %v", g)
	}
	r = fd.waitRoute(t, r.Version)
	if !fd.connect(t, "20.20.20.30", sni) {
		t.Error("granted address refused")
	}
	if x := e.checkAccess(t, "20.20.20.30"); x["allowed"] != true || x["kind"] != "grant" || x["entry"] != "oncall" || x["expiresAt"] == nil {
		t.Errorf("checkAccess during the grant = %v", x)
	}
	expires, _ := time.Parse(time.RFC3339, g["expiresAt"].(string))
	time.Sleep(time.Until(expires) + 1100*time.Millisecond) // RFC 3339 cuts the fraction
	if fd.connect(t, "20.20.20.30", sni) {
		t.Error("address admitted after its grant expired")
	}
	if x := e.checkAccess(t, "20.20.20.30"); x["allowed"] != false || x["kind"] != "none" {
		t.Errorf("checkAccess after expiry = %v", x)
	}
	// Revoke acts at once.
	e.do(t, http.MethodPut, clusterPath+"/accessGrants/ci"+mcVersion, `{"properties":{"range":"20.20.21.0/24"}}`)
	r = fd.waitRoute(t, r.Version)
	if !fd.connect(t, "20.20.21.9", sni) {
		t.Error("granted /24 refused")
	}
	if resp := e.do(t, http.MethodDelete, clusterPath+"/accessGrants/ci"+mcVersion, ""); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	fd.waitRoute(t, r.Version)
	if fd.connect(t, "20.20.21.9", sni) {
		t.Error("revoked grant still admits")
	}
	// At most 50 grants per cluster.
	for i := range 50 {
		resp := e.do(t, http.MethodPut, clusterPath+fmt.Sprintf("/accessGrants/g%d", i)+mcVersion, fmt.Sprintf(`{"properties":{"range":"20.30.0.%d"}}`, i))
		if resp.StatusCode != 201 {
			t.Fatalf("grant %d: %d", i, resp.StatusCode)
		}
	}
	resp = e.do(t, http.MethodPut, clusterPath+"/accessGrants/g50"+mcVersion, `{"properties":{"range":"20.30.0.50"}}`)
	if code, msg := armError(t, resp); resp.StatusCode != 409 || code != "QuotaExceeded" {
		t.Errorf("51st grant: %d %s %s, want 409 QuotaExceeded", resp.StatusCode, code, msg)
	}
	list := readJSON(t, e.do(t, http.MethodGet, clusterPath+"/accessGrants"+mcVersion, ""))
	if n := len(list["value"].([]any)); n != 50 { // expired grants are dropped by the next PUT
		t.Errorf("list has %d grants, want 50", n)
	}
	// A name in another case is the same grant (ARM names are
	// case-insensitive): replaced, not added past the limit.
	if resp := e.do(t, http.MethodPut, clusterPath+"/accessGrants/G7"+mcVersion, `{"properties":{"range":"20.30.1.7"}}`); resp.StatusCode != 200 {
		t.Errorf("grant G7 over g7: %d, want 200 (replaced)", resp.StatusCode)
	}
	list = readJSON(t, e.do(t, http.MethodGet, clusterPath+"/accessGrants"+mcVersion, ""))
	if n := len(list["value"].([]any)); n != 50 {
		t.Errorf("after G7: %d grants, want 50", n)
	}
}

func TestAccessGrantRules(t *testing.T) {
	e, _ := newSafetyEnv(t)
	e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil))
	tests := []struct{ name, body, want string }{
		{name: "private address", body: `{"properties":{"range":"10.0.0.1"}}`, want: "global"},
		{name: "host bits", body: `{"properties":{"range":"20.20.20.1/24"}}`, want: "20.20.20.0/24"},
		{name: "tag", body: `{"properties":{"range":"AzureCloud"}}`, want: "service tag"},
		{name: "too long", body: `{"properties":{"range":"20.20.20.1","duration":"200h"}}`, want: "7 days"},
		{name: "bad duration", body: `{"properties":{"range":"20.20.20.1","duration":"soon"}}`, want: "positive duration"},
		{name: "no range", body: `{"properties":{}}`, want: "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, http.MethodPut, clusterPath+"/accessGrants/x"+mcVersion, tt.body)
			code, msg := armError(t, resp)
			if resp.StatusCode != 400 || !strings.Contains(msg, tt.want) {
				t.Errorf("%d %s %q, want 400 containing %q", resp.StatusCode, code, msg, tt.want)
			}
		})
	}
}

// TestCutOffGuard: after real traffic from two addresses, a dry run lists
// them as cut off and changes nothing; a guarded update is refused with
// 409 naming them; with allow-cut-off it applies; an az-shaped request
// (no opt-in) applies as AKS would.
func TestCutOffGuard(t *testing.T) {
	e, fd := newSafetyEnv(t)
	e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.0/24"}, nil))
	r := fd.waitRoute(t, "")
	for _, a := range []string{"20.20.20.5", "20.20.20.5", "20.20.20.6"} {
		if !fd.connect(t, a, r.SNI) {
			t.Fatalf("%s refused", a)
		}
	}
	body := clusterBody([]string{"20.20.20.5/32", "20.30.0.0/16"}, nil)
	resp := e.do(t, http.MethodPut, clusterPath+mcVersion, body, api.HeaderDryRun, "true")
	p := readJSON(t, resp)
	if resp.StatusCode != 200 || p["dryRun"] != true || fmt.Sprint(p["added"]) != "[20.20.20.5/32 20.30.0.0/16]" ||
		fmt.Sprint(p["removed"]) != "[20.20.20.0/24]" || p["newlyAdmittedIPv4Addresses"] != float64(65537) {
		t.Errorf("dry run = %d %v", resp.StatusCode, p)
	}
	cut := p["cutOffClients"].([]any)
	if len(cut) != 1 || cut[0].(map[string]any)["ipAddress"] != "20.20.20.6" || cut[0].(map[string]any)["count"] != float64(1) {
		t.Errorf("cut-off clients = %v, want 20.20.20.6 once", cut)
	}
	// The query-parameter form of the opt-in.
	if q := readJSON(t, e.do(t, http.MethodPut, clusterPath+mcVersion+"&tagwall-dry-run=true", body)); q["dryRun"] != true {
		t.Errorf("dry run by query parameter = %v", q)
	}
	if got := e.rangesOf(t); got != "[20.20.20.0/24]" {
		t.Errorf("dry run changed the list: %s", got)
	}
	body = clusterBody([]string{"20.30.0.0/16"}, nil)
	resp = e.do(t, http.MethodPut, clusterPath+mcVersion, body, api.HeaderCutoffGuard, "true")
	code, msg := armError(t, resp)
	if resp.StatusCode != 409 || code != "WouldCutOffClients" || !strings.Contains(msg, "20.20.20.5 (2 connections") || !strings.Contains(msg, "20.20.20.6 (1 connections") {
		t.Errorf("guarded update: %d %s %s", resp.StatusCode, code, msg)
	}
	resp = e.do(t, http.MethodPut, clusterPath+mcVersion, body, api.HeaderCutoffGuard, "true", api.HeaderAllowCutOff, "true")
	if resp.StatusCode != 200 {
		t.Errorf("allowed cut-off: %d", resp.StatusCode)
	}
	// az sends no opt-in: AKS behaviour, whatever it cuts off.
	fd.waitRoute(t, r.Version)
	if !fd.connect(t, "20.30.1.1", r.SNI) {
		t.Fatal("20.30.1.1 refused")
	}
	if resp := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.40.0.0/16"}, nil)); resp.StatusCode != 200 {
		t.Errorf("az-shaped update: %d", resp.StatusCode)
	}
}

// TestShadowAndCheckAccess: a shadow list enforces nothing but is counted;
// promote enforces it through the guard; checkAccess explains a range, a
// tag prefix, a system-range-free refusal and the shadow verdict.
func TestShadowAndCheckAccess(t *testing.T) {
	e, fd := newSafetyEnv(t)
	e.enableTags(t)
	time.Sleep(400 * time.Millisecond) // the feature registers
	e.do(t, http.MethodPost, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/register?api-version=2021-04-01", "")
	if r := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"AzureCloud", "20.20.20.20", "20.20.20.21"}, nil)); r.StatusCode != 201 {
		code, msg := armError(t, r)
		t.Fatalf("create: %d %s %s", r.StatusCode, code, msg)
	}
	r := fd.waitRoute(t, "")
	resp := e.do(t, http.MethodPut, clusterPath+"/shadowAccessProfile"+mcVersion, `{"properties":{"authorizedIPRanges":["20.20.20.21"]}}`)
	if resp.StatusCode != 200 {
		code, msg := armError(t, resp)
		t.Fatalf("shadow: %d %s %s", resp.StatusCode, code, msg)
	}
	r = fd.waitRoute(t, r.Version)
	if !fd.connect(t, "20.20.20.20", r.SNI) {
		t.Error("shadow list enforced: 20.20.20.20 refused")
	}
	tag := azureAddr(t)
	tests := []struct {
		addr, kind, entry string
		allowed, shadow   bool
	}{
		{addr: "20.20.20.21", kind: "range", entry: "20.20.20.21/32", allowed: true, shadow: true},
		{addr: tag, kind: "tag", entry: "AzureCloud", allowed: true},
		{addr: "8.8.8.8", kind: "none"},
	}
	for _, tt := range tests {
		x := e.checkAccess(t, tt.addr)
		sh := x["shadow"].(map[string]any)
		if x["allowed"] != tt.allowed || x["kind"] != tt.kind || (tt.entry != "" && x["entry"] != tt.entry) || sh["allowed"] != tt.shadow {
			t.Errorf("checkAccess %s = %v", tt.addr, x)
		}
		if tt.kind == "tag" && (x["prefix"] == nil || x["changeNumber"] == nil) {
			t.Errorf("tag answer without prefix and changeNumber: %v", x)
		}
	}
	resp = e.do(t, http.MethodPost, clusterPath+"/promoteShadow"+mcVersion, "")
	if code, _ := armError(t, resp); resp.StatusCode != 409 || code != "WouldCutOffClients" {
		t.Errorf("promote that cuts off 20.20.20.20: %d %s", resp.StatusCode, code)
	}
	resp = e.do(t, http.MethodPost, clusterPath+"/promoteShadow"+mcVersion, "", api.HeaderAllowCutOff, "true")
	if resp.StatusCode != 200 {
		t.Fatalf("promote: %d", resp.StatusCode)
	}
	r = fd.waitRoute(t, r.Version)
	if fd.connect(t, "20.20.20.20", r.SNI) {
		t.Error("promoted shadow list not enforced: 20.20.20.20 admitted")
	}
	if resp := e.do(t, http.MethodGet, clusterPath+"/shadowAccessProfile"+mcVersion, ""); resp.StatusCode != 404 {
		t.Errorf("shadow after promote: %d, want 404", resp.StatusCode)
	}
}

func azureAddr(t *testing.T) string {
	tag, _ := publicCatalog(t).Lookup("AzureCloud")
	for _, p := range tag.Prefixes {
		if p.Addr().Is4() {
			return p.Addr().Next().String()
		}
	}
	t.Fatal("no IPv4 prefix")
	return ""
}

// TestGrantSurvivesRestart: a grant and its expiry are in the store, so a
// restarted server (new handler and controller on the same file) keeps
// enforcing it until the same instant.
func TestGrantSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newEnv(t, envOpts{store: st})
	a.createGroup(t)
	a.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil))
	resp := a.do(t, http.MethodPut, clusterPath+"/accessGrants/oncall"+mcVersion, `{"properties":{"range":"20.20.20.30","duration":"3s"}}`)
	before := readJSON(t, resp)["properties"].(map[string]any)["expiresAt"]
	a.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	b := newEnv(t, envOpts{store: st2})
	after := readJSON(t, b.do(t, http.MethodGet, clusterPath+"/accessGrants/oncall"+mcVersion, ""))["properties"].(map[string]any)
	if after["expiresAt"] != before || after["range"] != "20.20.20.30/32" {
		t.Errorf("after restart: %v, want expiresAt %v", after, before)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p := b.routes.Load(); p != nil && len(*p) == 1 && len((*p)[0].Grants) == 1 {
			g := (*p)[0].Grants[0]
			if g.Expires.UTC().Format(time.RFC3339) != before || g.Prefix.String() != "20.20.20.30/32" {
				t.Errorf("route grant after restart: %+v", g)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no route with the grant after restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
