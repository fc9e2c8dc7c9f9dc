package gwconfig

import (
	"strings"
	"testing"
)

func TestParsePrefilter(t *testing.T) {
	direct := "listen: 127.0.0.1:1\nroutes: [{upstream: 127.0.0.1:2, authorizedIPRanges: [20.20.20.20]}]\n"
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; "" = valid
	}{
		{name: "on, direct clients", yaml: direct + "prefilter: {enabled: true, action: reject}\n"},
		{name: "off by default", yaml: direct},
		{name: "bad action", yaml: direct + "prefilter: {enabled: true, action: block}\n", wantErr: `prefilter.action "block"`},
		{name: "behind PROXY protocol", yaml: strings.Replace(exampleYAML, "auditAllowed: false", "auditAllowed: false\nprefilter: {enabled: true}", 1),
			wantErr: "cannot be used with proxyProtocol.trustedPeers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.yaml))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
			case tt.name == "on, direct clients" && (!c.Prefilter.Enabled || c.Prefilter.Action != "reject"):
				t.Fatalf("Prefilter = %+v", c.Prefilter)
			}
		})
	}
}
