package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatewayCheck: `tagwall gateway --config F check ADDR --sni NAME`
// answers for a range, a tag prefix, a grant and a refusal, with the exit
// status of `tagwall check` (0 allowed, 1 refused, 2 bad input).
func TestGatewayCheck(t *testing.T) {
	src := mustAbsPath(t, shared(t, "azure-public-2025-10-13.json"))
	tagAddr := firstAddrOf(t, src, "AzureCloud")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gw.yaml")
	yaml := `listen: 127.0.0.1:1
serviceTags: [{source: ` + src + `}]
routes:
  - sni: api.test
    upstream: 127.0.0.1:2
    authorizedIPRanges: [AzureCloud, 20.20.20.21]
    shadowAuthorizedIPRanges: [20.20.20.21]
    grants: [{name: oncall, range: 203.0.113.0/24, expires: "2099-01-01T00:00:00Z", reason: incident}]
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr string
		code       int
		want       string
	}{
		{name: "range", addr: "20.20.20.21", code: 0, want: "allowed 20.20.20.21: range 20.20.20.21/32; shadow list would admit"},
		{name: "tag prefix", addr: tagAddr, code: 0, want: "tag AzureCloud"},
		{name: "grant", addr: "203.0.113.9", code: 0, want: "grant oncall 203.0.113.0/24 until 2099-01-01T00:00:00Z"},
		{name: "refused", addr: "8.8.8.8", code: 1, want: "refused 8.8.8.8: not in any entry; shadow list would refuse"},
		{name: "bad address", addr: "nope", code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := tagwall(t, "gateway", "--config", cfg, "check", tt.addr, "--sni", "api.test")
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output %q (stderr %q), want exit %d and %q", code, out, errs, tt.code, tt.want)
			}
		})
	}
}
