package gwconfig

import (
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/servicetag"
)

const serviceTagsDir = "../../../shared/testdata/servicetags/"

const exampleYAML = `
listen: 127.0.0.1:6443
metrics: 127.0.0.1:9100
proxyProtocol:
  trustedPeers: [127.0.0.0/8]
clientHelloTimeout: 10s
revokeExisting: true
auditAllowed: false
serviceTags:
  - source: ../shared/testdata/servicetags/azure-public-2025-10-13.json
    refresh: 1h
routes:
  - sni: api.prod.example.test
    upstream: 127.0.0.1:7443
    authorizedIPRanges: [AzureCloud, 20.20.20.20]
  - sni: api.dev.example.test
    upstream: 127.0.0.1:7444
    authorizedIPRanges: [10.0.0.0/8, AzureCloud.westeurope, Storage.WestEurope]
`

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; "" = valid
	}{
		{name: "the documented example", yaml: exampleYAML},
		{name: "typo in a key", yaml: strings.Replace(exampleYAML, "upstream: 127.0.0.1:7443", "upstrem: 127.0.0.1:7443", 1), wantErr: "field upstrem not found"},
		{name: "no listen", yaml: strings.Replace(exampleYAML, "listen: 127.0.0.1:6443", "", 1), wantErr: "listen: required"},
		{name: "bad listen", yaml: strings.Replace(exampleYAML, "listen: 127.0.0.1:6443", "listen: 127.0.0.1", 1), wantErr: `listen "127.0.0.1"`},
		{name: "bad trusted peer", yaml: strings.Replace(exampleYAML, "[127.0.0.0/8]", "[127.0.0.1/8]", 1), wantErr: "host bits set: use 127.0.0.0/8"},
		{name: "bad duration", yaml: strings.Replace(exampleYAML, "clientHelloTimeout: 10s", "clientHelloTimeout: soon", 1), wantErr: "soon"},
		{name: "empty ranges fail closed", yaml: strings.Replace(exampleYAML, "authorizedIPRanges: [AzureCloud, 20.20.20.20]", "authorizedIPRanges: []", 1), wantErr: "authorizedIPRanges is empty"},
		{name: "absent ranges fail closed", yaml: strings.Replace(exampleYAML, "    authorizedIPRanges: [AzureCloud, 20.20.20.20]\n", "", 1), wantErr: "set allowAll: true"},
		{name: "ui without a token file", yaml: strings.Replace(exampleYAML, "listen: 127.0.0.1:6443", "listen: 127.0.0.1:6443\nui: true", 1), wantErr: "ui: needs uiTokenFile"},
		{name: "ui without metrics", yaml: strings.Replace(exampleYAML, "metrics: 127.0.0.1:9100", "ui: true\nuiTokenFile: t", 1), wantErr: "ui: needs metrics"},
		{name: "ui with a token file", yaml: strings.Replace(exampleYAML, "listen: 127.0.0.1:6443", "listen: 127.0.0.1:6443\nui: true\nuiTokenFile: ui-token", 1)},
		{name: "allowAll", yaml: strings.Replace(exampleYAML, "authorizedIPRanges: [AzureCloud, 20.20.20.20]", "allowAll: true", 1)},
		{name: "allowAll with ranges", yaml: strings.Replace(exampleYAML, "authorizedIPRanges: [AzureCloud, 20.20.20.20]", "authorizedIPRanges: [1.2.3.4]\n    allowAll: true", 1), wantErr: "exclude each other"},
		{name: "duplicate sni", yaml: strings.Replace(exampleYAML, "api.dev.example.test", "API.prod.example.test", 1), wantErr: "already used by routes[0]"},
		{name: "bad sni", yaml: strings.Replace(exampleYAML, "api.dev.example.test", "api.dev.example.test.", 1), wantErr: "not a DNS name"},
		{name: "bad upstream", yaml: strings.Replace(exampleYAML, "127.0.0.1:7444", "127.0.0.1:99999", 1), wantErr: "port"},
		{name: "no routes", yaml: "listen: 127.0.0.1:1\n", wantErr: "at least one route"},
		{name: "empty file", yaml: "", wantErr: "empty file"},
		{name: "two documents", yaml: exampleYAML + "---\nlisten: x\n", wantErr: "more than one"},
		{name: "connection caps", yaml: strings.Replace(exampleYAML, "auditAllowed: false", "auditAllowed: false\nmaxConns: 1000\nmaxUndecided: 200\nmaxUndecidedPerSource: 8", 1)},
		{name: "negative cap", yaml: strings.Replace(exampleYAML, "auditAllowed: false", "auditAllowed: false\nmaxUndecided: -1", 1), wantErr: "maxUndecided -1: must not be negative"},
		{name: "required without trusted peers", yaml: "listen: 127.0.0.1:1\nproxyProtocol: {required: true}\nroutes: [{upstream: 127.0.0.1:2, allowAll: true}]\n", wantErr: "needs at least one trustedPeers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.Routes[0].Name != c.Routes[0].SNI || c.ServiceTags[0].Refresh == 0 {
					t.Errorf("defaults not applied: %+v", c.File)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "test.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestGatewayCarriesCaps(t *testing.T) {
	yaml := strings.Replace(exampleYAML, "clientHelloTimeout: 10s", "clientHelloTimeout: 3s\nmaxConns: 1000\nmaxUndecided: 200\nmaxUndecidedPerSource: 8", 1)
	c, err := Parse("caps.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Gateway()
	if g.MaxConns != 1000 || g.MaxUndecided != 200 || g.MaxUndecidedPerSource != 8 || g.ClientHelloTimeout.String() != "3s" {
		t.Errorf("Gateway() = caps %d/%d/%d, timeout %s; want 1000/200/8, 3s", g.MaxConns, g.MaxUndecided, g.MaxUndecidedPerSource, g.ClientHelloTimeout)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("x.yaml", []byte("listen: nope\nroutes:\n  - sni: a.test\n  - sni: a.test\n    upstream: bad\n"))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{`listen "nope"`, "routes[0].upstream: required", "routes[1].sni", `routes[1].upstream "bad"`, "authorizedIPRanges is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

var catalogs sync.Map // file name → *servicetag.Catalog

// catalog loads a real service-tag document (t.Fatal when missing).
func catalog(tb testing.TB, file string) *servicetag.Catalog {
	tb.Helper()
	if c, ok := catalogs.Load(file); ok {
		return c.(*servicetag.Catalog)
	}
	data, err := os.ReadFile(serviceTagsDir + file)
	if err != nil {
		tb.Fatalf("real service-tag document: %v", err)
	}
	doc, err := servicetag.Parse(file, data)
	if err != nil {
		tb.Fatal(err)
	}
	c := servicetag.NewCatalog(doc)
	catalogs.Store(file, c)
	return c
}

// firstV4 returns an address inside the first IPv4 prefix of a tag.
func firstV4(tb testing.TB, c *servicetag.Catalog, tag string) netip.Addr {
	tb.Helper()
	tg, ok := c.Lookup(tag)
	if !ok {
		tb.Fatalf("tag %s missing", tag)
	}
	for _, p := range tg.Prefixes {
		if p.Addr().Is4() {
			return p.Addr().Next()
		}
	}
	tb.Fatalf("tag %s has no IPv4 prefix", tag)
	return netip.Addr{}
}

func TestCompile(t *testing.T) {
	pub := catalog(t, "azure-public-2025-10-13.json")
	china := catalog(t, "azure-china-2026-07-13.json")
	yaml := `
listen: 127.0.0.1:6443
routes:
  - sni: api.prod.example.test
    upstream: 127.0.0.1:7443
    authorizedIPRanges: [azurecloud, 20.20.20.20]
  - sni: api.dev.example.test
    upstream: 127.0.0.1:7444
    authorizedIPRanges: [10.0.0.0/8, AzureCloud.westeurope, Storage.WestEurope, AzureCloud.chinaeast2]
  - upstream: 127.0.0.1:7445
    allowAll: true
`
	c, err := Parse("c.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var cache TagCache
	routes, err := c.Compile(merged(t, pub, china), &cache)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	checks := []struct {
		route int
		addr  netip.Addr
		want  bool
	}{
		{0, netip.MustParseAddr("20.20.20.20"), true},
		{0, firstV4(t, pub, "AzureCloud"), true},
		{0, netip.MustParseAddr("8.8.8.8"), false},
		{0, netip.MustParseAddr("10.1.2.3"), false},
		{1, netip.MustParseAddr("10.1.2.3"), true},
		{1, firstV4(t, pub, "Storage.WestEurope"), true},
		{1, firstV4(t, china, "AzureCloud.chinaeast2"), true},
		{1, netip.MustParseAddr("20.20.20.20"), false},
		{2, netip.MustParseAddr("8.8.8.8"), true},
	}
	for _, ck := range checks {
		if got := routes[ck.route].Allow.Contains(ck.addr); got != ck.want {
			t.Errorf("route %s Contains(%s) = %v, want %v", routes[ck.route].Name, ck.addr, got, ck.want)
		}
	}
	if routes[2].Name != "default" || routes[2].SNI != "" {
		t.Errorf("default route = %+v", routes[2])
	}
	if routes[0].Version == "" || routes[0].Prefixes < 10000 {
		t.Errorf("route 0 version %q prefixes %d", routes[0].Version, routes[0].Prefixes)
	}
	again, _ := c.Compile(merged(t, pub, china), &cache)
	if again[0].Version != routes[0].Version {
		t.Errorf("version not stable: %s then %s", routes[0].Version, again[0].Version)
	}
	older := catalog(t, "azure-public-2025-10-06.json")
	moved, _ := c.Compile(merged(t, older, china), &cache)
	if moved[0].Version == routes[0].Version {
		t.Error("version unchanged although AzureCloud's changeNumber differs")
	}
}

func TestCompileErrors(t *testing.T) {
	pub := catalog(t, "azure-public-2025-10-13.json")
	tests := []struct {
		name     string
		ranges   string
		catalogs []*servicetag.Catalog
		wantErr  string
	}{
		{name: "unknown tag", ranges: "[AzureCloudd]", catalogs: []*servicetag.Catalog{pub}, wantErr: "AzureCloudd"},
		{name: "tag without any catalog", ranges: "[AzureCloud]", catalogs: nil, wantErr: "AzureCloud"},
		{name: "tag from a source with no document", ranges: "[AzureCloud]", catalogs: []*servicetag.Catalog{nil}, wantErr: "AzureCloud"},
		{name: "host bits", ranges: "[10.0.0.1/8]", catalogs: []*servicetag.Catalog{pub}, wantErr: "10.0.0.1/8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte("listen: 127.0.0.1:1\nroutes:\n  - {sni: a.test, upstream: 127.0.0.1:2, authorizedIPRanges: "+tt.ranges+"}\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Compile(merged(t, tt.catalogs...), nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `routes[0] "a.test"`) {
				t.Fatalf("Compile error = %v, want it to name routes[0] and %q", err, tt.wantErr)
			}
		})
	}
}
