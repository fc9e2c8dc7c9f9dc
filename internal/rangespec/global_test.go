package rangespec

import (
	"net/netip"
	"testing"
)

// TestIsGlobal is the is_global table of aks-behaviour.md §1.2 (Python
// 3.11.7) beside tagwall's server notion, which differs on purpose for
// multicast and IPv6 outside 2000::/3.
func TestIsGlobal(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		python bool
		server bool
	}{
		{"everything v4", "0.0.0.0/0", true, true},
		{"this network", "0.0.0.0/8", false, false},
		{"rfc1918 10", "10.0.0.0/8", false, false},
		{"rfc1918 192.168", "192.168.1.0/24", false, false},
		{"rfc1918 172.16 wider than the block", "172.0.0.0/11", true, true},
		{"shared address space", "100.64.0.0/10", false, false},
		{"shared address space, wider", "100.0.0.0/9", true, true},
		{"loopback", "127.0.0.1/32", false, false},
		{"link local", "169.254.1.1/32", false, false},
		{"reserved", "240.0.0.0/4", false, false},
		{"broadcast", "255.255.255.255/32", false, false},
		{"multicast", "224.0.0.1/32", true, false},
		{"PCP anycast", "192.0.0.9/32", true, true},
		{"IETF protocol assignments", "192.0.0.8/32", true, false},
		{"public", "20.20.20.20/32", true, true},
		{"google v6", "2001:4860::/32", true, true},
		{"everything v6", "::/0", true, true},
		{"ula", "fd00::/8", false, false},
		{"link local v6", "fe80::/10", false, false},
		{"multicast v6", "ff02::1/128", true, false},
		{"loopback v6", "::1/128", false, false},
		{"v4-mapped", "::ffff:20.20.20.20/128", false, false},
		{"documentation v6", "2001:db8::/32", false, false},
		{"AMT", "2001:3::/32", false, true},
		{"6to4", "2002::/16", true, true},
		{"documentation v6 new", "3fff::/20", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := netip.MustParsePrefix(tt.prefix)
			if p != p.Masked() {
				t.Fatalf("bad test: %s has host bits", p)
			}
			if got := pyIsGlobal(p); got != tt.python {
				t.Errorf("pyIsGlobal(%s) = %v, want %v", p, got, tt.python)
			}
			if got := serverIsGlobal(p); got != tt.server {
				t.Errorf("serverIsGlobal(%s) = %v, want %v", p, got, tt.server)
			}
		})
	}
}
