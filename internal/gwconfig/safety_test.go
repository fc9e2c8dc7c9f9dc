package gwconfig

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/gateway"
)

const safetyYAML = `listen: 127.0.0.1:1
serviceTags: [{source: pub.json}]
routes:
  - sni: a.test
    upstream: 127.0.0.1:2
    authorizedIPRanges: [AzureCloud, 20.20.20.21, 10.0.0.0/8]
    shadowAuthorizedIPRanges: [20.20.20.21]
    grants:
      - {range: 203.0.113.0/24, expires: "2099-01-01T00:00:00Z", reason: vendor}
      - {name: old, range: 192.0.2.1, expires: "2001-01-01T00:00:00Z"}
  - {upstream: 127.0.0.1:3, authorizedIPRanges: [198.51.100.0/24]}
`

// TestCheck: `tagwall gateway check` answers for a range, a tag prefix, a
// grant, an expired grant and a refusal, with the shadow verdict, and the
// default route takes unknown names.
func TestCheck(t *testing.T) {
	c, err := Parse("c.yaml", []byte(safetyYAML))
	if err != nil {
		t.Fatal(err)
	}
	pub := fakeCatalog("Public", 1, fakeTag("AzureCloud", 5, "13.104.0.0/14"))
	tests := []struct {
		name, sni, addr string
		allowed, shadow bool
		kind, entry     string
	}{
		{name: "range", sni: "a.test", addr: "20.20.20.21", allowed: true, shadow: true, kind: gateway.KindRange, entry: "20.20.20.21/32"},
		{name: "tag prefix", sni: "A.test", addr: "13.104.1.1", allowed: true, kind: gateway.KindTag, entry: "AzureCloud"},
		{name: "grant", sni: "a.test", addr: "203.0.113.5", allowed: true, shadow: true, kind: gateway.KindGrant, entry: "grant-0"},
		{name: "expired grant", sni: "a.test", addr: "192.0.2.1", kind: gateway.KindNone},
		{name: "refused", sni: "a.test", addr: "8.8.8.8", kind: gateway.KindNone},
		{name: "default route", sni: "other.test", addr: "198.51.100.7", allowed: true, kind: gateway.KindRange, entry: "198.51.100.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := c.Check(pub, tt.sni, netip.MustParseAddr(tt.addr), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			shadow := x.Shadow != nil && x.Shadow.Allowed
			if x.Allowed != tt.allowed || x.Kind != tt.kind || x.Entry != tt.entry || shadow != tt.shadow {
				t.Errorf("Check = %+v (shadow %v), want allowed %v kind %s entry %q shadow %v", x, shadow, tt.allowed, tt.kind, tt.entry, tt.shadow)
			}
		})
	}
}

func TestGrantValidation(t *testing.T) {
	var b strings.Builder
	b.WriteString("listen: 127.0.0.1:1\nroutes:\n  - upstream: 127.0.0.1:2\n    authorizedIPRanges: [10.0.0.0/8]\n    grants:\n")
	for range gateway.MaxGrantsPerRoute + 1 {
		b.WriteString("      - {range: 10.1.1.1, expires: \"2099-01-01T00:00:00Z\"}\n")
	}
	b.WriteString("      - {range: 10.1.1.1/8}\n")
	_, err := Parse("c.yaml", []byte(b.String()))
	for _, want := range []string{"52 grants, at most 50", "grants[51].range \"10.1.1.1/8\": host bits set", "grants[51].expires: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}

// TestGrantEnforcedWithoutReload: the standalone gateway admits a YAML
// grant until its expires time, then closes the live session it alone
// admitted and refuses new ones, with no reload (the watcher is off).
func TestGrantEnforcedWithoutReload(t *testing.T) {
	up := tlsUpstream(t)
	expires := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	yaml := configYAML(up, "20.20.20.20") + "    grants: [{name: vendor, range: 30.30.30.0/24, expires: \"" + expires.Format(time.RFC3339) + "\"}]\n" +
		"    shadowAuthorizedIPRanges: [30.30.30.30]\n"
	rn := startRunner(t, yaml, false)
	live, err := session(rn.addr, bob)
	if err != nil {
		t.Fatalf("granted client refused: %v", err)
	}
	defer live.Close()
	live.SetReadDeadline(time.Now().Add(time.Until(expires) + 3*time.Second))
	_, err = live.Read(make([]byte, 1))
	late := time.Since(expires)
	if ne, ok := err.(interface{ Timeout() bool }); err == nil || (ok && ne.Timeout()) {
		t.Fatalf("granted session still open %v after the expiry: %v", late, err)
	}
	if late > time.Second || late < 0 {
		t.Errorf("granted session closed %v after the expiry, want within 1s", late)
	}
	if admitted(rn.addr, bob) {
		t.Error("granted client admitted after the expiry")
	}
	if !admitted(rn.addr, alice) {
		t.Error("list client refused")
	}
}
