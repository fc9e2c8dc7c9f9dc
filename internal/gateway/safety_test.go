package gateway

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// TestGrantExpiry: a grant admits at once, a live connection it alone
// admits is closed within a second of its expiry, later connections are
// refused with no further call, and the expiry is audited.
func TestGrantExpiry(t *testing.T) {
	prod := startUpstream(t, "prod")
	client := netip.MustParseAddr("20.20.20.30")
	expires := time.Now().Add(1500 * time.Millisecond)
	gw := startGateway(t, Config{}, Route{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, "20.20.20.20"), Version: "1",
		Grants: []Grant{{Name: "oncall", Prefix: netip.MustParsePrefix("20.20.20.30/32"), Expires: expires, Reason: "incident"}}})
	live := openSession(t, gw.addr, client, prodSNI)
	if err := readErr(live, time.Until(expires)-200*time.Millisecond); !isTimeout(err) {
		t.Fatalf("granted connection ended before the expiry: %v", err)
	}
	err := readErr(live, 3*time.Second)
	if err == nil || isTimeout(err) {
		t.Fatalf("granted connection still open after the expiry: %v", err)
	}
	if late := time.Since(expires); late > time.Second {
		t.Errorf("closed %v after the expiry, want within 1s", late)
	}
	c := dialAs(t, gw.addr, client, 2)
	if _, err := httpsGet(c, prodSNI); err == nil {
		t.Error("connection after the expiry was admitted")
	}
	c.Close()
	if err := gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	var expired, revoked int
	for _, l := range gw.audit.JSONLines(t) {
		switch {
		case l["msg"] == "grant-expired" && l["version"] == "oncall" && l["client"] == "20.20.20.30":
			expired++
		case l["msg"] == "revoked" && l["reason"] == ReasonGrantExpired:
			revoked++
		}
	}
	if expired != 1 || revoked != 1 {
		t.Errorf("audit: %d grant-expired and %d revoked lines, want 1 and 1:\n%s", expired, revoked, gw.audit.String())
	}
}

// TestGrantRevokedBySetRoutes: removing a grant closes its connections at
// once (revoke acts at once).
func TestGrantRevokedBySetRoutes(t *testing.T) {
	prod := startUpstream(t, "prod")
	r := Route{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Allow: list(t, "20.20.20.20"), Version: "1",
		Grants: []Grant{{Name: "ci", Prefix: netip.MustParsePrefix("20.20.21.0/24"), Expires: time.Now().Add(time.Hour)}}}
	gw := startGateway(t, Config{}, r)
	live := openSession(t, gw.addr, netip.MustParseAddr("20.20.21.7"), prodSNI)
	r.Grants = nil
	gw.SetRoutes([]Route{r})
	start := time.Now()
	if err := readErr(live, 2*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("connection still open after its grant was removed: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("revocation took %v", d)
	}
	if err := gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	a := gw.audit.String()
	for _, want := range []string{`"msg":"grant-added","route":"prod","client":"20.20.21.0"`, `"msg":"grant-revoked","route":"prod","client":"20.20.21.0"`, `"reason":"/24","version":"ci"`} {
		if !strings.Contains(a, want) {
			t.Errorf("audit lacks %s:\n%s", want, a)
		}
	}
}

// TestGrantBound: a route keeps at most MaxGrantsPerRoute grants, those
// that expire last.
func TestGrantBound(t *testing.T) {
	gs := make([]Grant, MaxGrantsPerRoute+1)
	base := time.Now().Add(time.Hour)
	for i := range gs {
		gs[i] = Grant{Name: fmt.Sprint("g", i), Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{20, 0, 0, byte(i)}), 32), Expires: base.Add(time.Duration(i) * time.Second)}
	}
	gw := startGateway(t, Config{}, Route{Name: "r", Allow: list(t, "1.1.1.1"), Grants: gs})
	got := gw.Routes()[0].Grants
	if len(got) != MaxGrantsPerRoute || got[0].Name != "g1" {
		t.Errorf("kept %d grants starting at %s, want %d starting at g1", len(got), got[0].Name, MaxGrantsPerRoute)
	}
}

// TestShadow: the shadow list enforces nothing; each disagreement is
// counted and audited (aggregated per client per minute).
func TestShadow(t *testing.T) {
	prod := startUpstream(t, "prod")
	gw := startGateway(t, Config{}, Route{Name: "prod", SNI: prodSNI, Upstream: prod.addr, Version: "1",
		Allow: list(t, "20.20.20.20", "20.20.20.22"), Shadow: list(t, "20.20.20.21", "20.20.20.22")})
	for range 3 {
		c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.20"), 2)
		if body, err := httpsGet(c, prodSNI); err != nil || body != "prod "+prodSNI {
			t.Fatalf("shadow-refused client: %q, %v; want admitted", body, err)
		}
		c.Close()
	}
	c := dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.21"), 2)
	if _, err := httpsGet(c, prodSNI); err == nil {
		t.Error("shadow-admitted client was admitted: the shadow list must enforce nothing")
	}
	c.Close()
	c = dialAs(t, gw.addr, netip.MustParseAddr("20.20.20.22"), 2) // both admit: no count
	httpsGet(c, prodSNI)
	c.Close()
	got := gathered(t, gw.reg, "tagwall_shadow_decisions_total")
	want := map[string]float64{"cluster=prod,outcome=would-deny": 3, "cluster=prod,outcome=would-admit": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if err := gw.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	var lines, count int
	for _, l := range gw.audit.JSONLines(t) {
		if l["msg"] == "shadow" && l["reason"] == ShadowWouldDeny && l["client"] == "20.20.20.20" {
			lines++
			count += int(l["count"].(float64))
		}
	}
	if lines != 2 || count != 3 {
		t.Errorf("would-deny audit: %d lines counting %d, want the first line and one aggregate (2 lines, 3 in all):\n%s", lines, count, gw.audit.String())
	}
}

func TestRecentClientsRecord(t *testing.T) {
	var r recentRecord
	now := time.Now()
	for i := range 5 {
		r.add(netip.MustParseAddr("20.20.20.20"), now.UnixNano())
		if i < 2 {
			r.add(netip.MustParseAddr("2001:db8::1"), now.Add(time.Second).UnixNano())
		}
	}
	r.add(netip.MustParseAddr("20.20.20.9"), now.Add(-25*time.Hour).UnixNano()) // outside the window
	s := r.snapshot(now.Add(time.Second))
	if len(s.Clients) != 2 || s.Clients[0].Addr.String() != "20.20.20.20" || s.Clients[0].Count != 5 || s.Clients[1].Count != 2 {
		t.Errorf("snapshot = %+v, want 20.20.20.20×5 then 2001:db8::1×2", s)
	}
}

// TestRecentClientsBound: a million distinct clients leave the record
// within MaxRecentClients addresses and its fixed memory, keep a frequent
// client listed, and count the rest.
func TestRecentClientsBound(t *testing.T) {
	r := new(recentRecord)
	frequent := netip.MustParseAddr("20.20.20.20")
	now := time.Now().UnixNano()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 1_000_000 {
		a := netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		if i%1000 == 0 {
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
		}
		r.add(a, now+int64(i))
		if i%100 == 0 {
			r.add(frequent, now+int64(i))
		}
	}
	runtime.ReadMemStats(&after)
	// Other goroutines (earlier tests' writers) may allocate meanwhile:
	// a million records kept would be tens of MiB.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<10 {
		t.Errorf("recording allocated %d bytes, want about 0", grown)
	}
	s := r.snapshot(time.Unix(0, now+1_000_000))
	if len(s.Clients) > MaxRecentClients {
		t.Errorf("%d clients listed, want at most %d", len(s.Clients), MaxRecentClients)
	}
	if s.Clients[0].Addr != frequent || s.Clients[0].Count != 10_000 {
		t.Errorf("top client %+v, want %s with 10000", s.Clients[0], frequent)
	}
	var listed uint64
	for _, c := range s.Clients {
		listed += c.Count
	}
	if listed+s.Rest != 1_010_000 {
		t.Errorf("listed %d + rest %d, want 1010000 connections", listed, s.Rest)
	}
	if size := unsafeSizeofRecord(); size > 64<<10 {
		t.Errorf("record is %d bytes, want at most 64 KiB", size)
	}
	if n := testing.AllocsPerRun(100, func() { r.add(frequent, now) }); n != 0 {
		t.Errorf("add allocates %v", n)
	}
}

func TestExplain(t *testing.T) {
	tag := allowlist.NewTagSet("AzureCloud", 42, []netip.Prefix{netip.MustParsePrefix("13.104.0.0/14"), netip.MustParsePrefix("13.104.8.0/24")})
	var b allowlist.Builder
	b.AddPrefix(netip.MustParsePrefix("20.20.20.21/32"), "20.20.20.21/32")
	b.AddTag(tag, "AzureCloud")
	b.AddPrefix(netip.MustParsePrefix("198.51.100.0/28"), "system")
	allow, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r := Route{Name: "c", Allow: allow, Version: "g3", Shadow: list(t, "20.20.20.21"),
		Grants: []Grant{{Name: "vendor", Prefix: netip.MustParsePrefix("203.0.113.0/24"), Expires: now.Add(time.Hour), Reason: "support"},
			{Name: "old", Prefix: netip.MustParsePrefix("192.0.2.0/24"), Expires: now.Add(-time.Second)}}}
	tests := []struct {
		name, addr       string
		allowed, shadow  bool
		kind, entry, pfx string
	}{
		{name: "range", addr: "20.20.20.21", allowed: true, shadow: true, kind: KindRange, entry: "20.20.20.21/32", pfx: "20.20.20.21/32"},
		{name: "tag prefix", addr: "13.104.8.9", allowed: true, kind: KindTag, entry: "AzureCloud", pfx: "13.104.8.0/24"},
		{name: "system range", addr: "::ffff:198.51.100.3", allowed: true, kind: KindSystem, entry: "system", pfx: "198.51.100.0/28"},
		{name: "grant", addr: "203.0.113.9", allowed: true, shadow: true, kind: KindGrant, entry: "vendor", pfx: "203.0.113.0/24"},
		{name: "expired grant", addr: "192.0.2.1", kind: KindNone},
		{name: "refused", addr: "8.8.8.8", kind: KindNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := Explain(&r, netip.MustParseAddr(tt.addr), now)
			pfx := ""
			if x.Prefix.IsValid() {
				pfx = x.Prefix.String()
			}
			if x.Allowed != tt.allowed || x.Kind != tt.kind || x.Entry != tt.entry || pfx != tt.pfx || x.Shadow == nil || x.Shadow.Allowed != tt.shadow {
				t.Errorf("Explain(%s) = %+v (shadow %+v), want allowed %v kind %s entry %q prefix %q shadow %v",
					tt.addr, x, x.Shadow, tt.allowed, tt.kind, tt.entry, tt.pfx, tt.shadow)
			}
			if tt.kind == KindTag && x.ChangeNumber != 42 {
				t.Errorf("change number %d, want 42", x.ChangeNumber)
			}
			if tt.kind == KindGrant && (!x.Expires.Equal(now.Add(time.Hour)) || x.GrantReason != "support") {
				t.Errorf("grant expiry %v reason %q", x.Expires, x.GrantReason)
			}
		})
	}
}
