package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func mustDecode(tb testing.TB, s string) any {
	tb.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		tb.Fatalf("decode %q: %v", s, err)
	}
	return v
}

// The wants were produced by Python 3.11's json.dumps(v, ensure_ascii=False,
// indent=2, sort_keys=True, separators=(',', ': ')), as knack calls it.
func TestPyJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "sorted keys, empty containers, escapes", in: `{"b":[],"a":{},"c":"é<>&\u2028\u0001\"\\\n\t"}`,
			want: "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": \"é<>&\u2028\\u0001\\\"\\\\\\n\\t\"\n}\n"},
		{name: "scalars keep their text", in: `[1, -1.0, true, null, "x"]`,
			want: "[\n  1,\n  -1.0,\n  true,\n  null,\n  \"x\"\n]\n"},
		{name: "nested", in: `{"z":{"y":[{"b":1,"a":2}]}}`,
			want: "{\n  \"z\": {\n    \"y\": [\n      {\n        \"a\": 2,\n        \"b\": 1\n      }\n    ]\n  }\n}\n"},
		{name: "string", in: `"s"`, want: "\"s\"\n"},
		{name: "null", in: `null`, want: "null\n"},
		{name: "empty list", in: `[]`, want: "[]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writePyJSON(&b, mustDecode(t, tc.in)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}

// FuzzPyJSON checks that the knack-style encoder writes valid JSON that
// decodes to the same value (round trip), for any JSON input.
func FuzzPyJSON(f *testing.F) {
	f.Add(`{"a":[1,2,{"b":null}],"c":"\u00e9\u2028"}`) // nesting and non-ASCII
	f.Add(`"\u0000\u001f\"\\"`)                        // control characters
	f.Add(`[-1.0, 1e5, 0.1]`)                          // number texts
	f.Add(`{}`)                                        // empty object
	f.Fuzz(func(t *testing.T, in string) {
		v, err := decodeJSON([]byte(in))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := writePyJSON(&b, v); err != nil {
			t.Fatal(err)
		}
		back, err := decodeJSON(b.Bytes())
		if err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, b.String())
		}
		if !reflect.DeepEqual(normNumbers(v), normNumbers(back)) {
			t.Fatalf("round trip changed the value: %v → %v", v, back)
		}
	})
}

// normNumbers compares numbers by their text (json.Number) and strings by
// their runes after invalid UTF-8 is replaced, as the encoder does.
func normNumbers(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToValidUTF8(x, "\ufffd")
	case []any:
		for i := range x {
			x[i] = normNumbers(x[i])
		}
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[strings.ToValidUTF8(k, "\ufffd")] = normNumbers(e)
		}
		return out
	}
	return v
}

func TestTSV(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "dict values in key order; list as length; dict empty; None", in: `{"b":[1,2],"a":"x","c":{"d":1},"e":null,"f":true}`,
			want: "x\t2\t\tNone\tTrue\n"},
		{name: "list of scalars one per line", in: `["a","b"]`, want: "a\nb\n"},
		{name: "top-level bool lower case", in: `true`, want: "true\n"},
		{name: "list of lists", in: `[[1,"a"],[2,"b"]]`, want: "1\ta\n2\tb\n"},
		{name: "null result", in: `null`, want: "None\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatTSV(mustDecode(t, tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTable(t *testing.T) {
	tests := []struct {
		name, in, want string
		transform      tableTransform
		wantErr        string
	}{
		{name: "auto table: scalars only, sorted, id/type skipped, header+2 wide",
			in:   `[{"name":"rg","location":"eastus","id":"/x","type":"t","tags":{},"n":1,"ok":false,"gone":null}]`,
			want: "Location    N    Name    Ok\n----------  ---  ------  -----\neastus      1    rg      False\n"},
		{name: "transform keeps column order and prints null as blank", transform: groupTable,
			in:   `[{"name":"a","location":"westus","properties":{"provisioningState":"Succeeded"}},{"name":"bb","location":null}]`,
			want: "Name    Location    Status\n------  ----------  ---------\na       westus      Succeeded\nbb\n"},
		{name: "scalar result", in: `"x"`, want: "Result\n--------\nx\n"},
		{name: "empty list", in: `[]`, want: "\n"},
		{name: "no scalar fields", in: `[{"a":{}}]`, wantErr: errNoTable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := formatTable(mustDecode(t, tc.in), tc.transform, false)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestYAML(t *testing.T) {
	var b bytes.Buffer
	if err := writeYAML(&b, mustDecode(t, `{"b":[1,"x"],"a":null,"c":{"d":-1.5}}`)); err != nil {
		t.Fatal(err)
	}
	want := "a: null\nb:\n- 1\n- x\nc:\n  d: -1.5\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestClusterKeys checks the REST → az key table on every ManagedCluster
// field that has an acronym, and that free-form dicts keep their keys.
func TestClusterKeys(t *testing.T) {
	rest := `{"id":"/subscriptions/s/resourcegroups/RG1/providers/Microsoft.ContainerService/managedClusters/c",
	 "tags":{"enableRBAC":"kept"},
	 "properties":{"azurePortalFQDN":"p","privateFQDN":"q","enableRBAC":true,
	  "apiServerAccessProfile":{"authorizedIPRanges":["AzureCloud"],"privateDNSZone":"system","enablePrivateClusterPublicFQDN":false},
	  "networkProfile":{"dnsServiceIP":"10.0.0.10"},
	  "agentPoolProfiles":[{"osDiskSizeGB":128,"enableNodePublicIP":false,"nodeLabels":{"osDiskSizeGB":"kept"}}],
	  "aadProfile":{"enableAzureRBAC":true,"tenantID":"t"},
	  "identityProfile":{"kubeletidentity":{"clientId":"c"}},
	  "addonProfiles":{"omsagent":{"enabled":true,"config":{"logAnalyticsWorkspaceResourceID":"w"}}}}}`
	got := azCluster(mustDecode(t, rest)).(map[string]any)
	checks := map[string]any{
		"resourceGroup":   "RG1",
		"azurePortalFqdn": "p",
		"privateFqdn":     "q",
		"enableRbac":      true,
		"apiServerAccessProfile.authorizedIpRanges":                     []any{"AzureCloud"},
		"apiServerAccessProfile.privateDnsZone":                         "system",
		"apiServerAccessProfile.enablePrivateClusterPublicFqdn":         false,
		"apiServerAccessProfile.subnetId":                               nil,
		"networkProfile.dnsServiceIp":                                   "10.0.0.10",
		"aadProfile.enableAzureRbac":                                    true,
		"aadProfile.tenantId":                                           "t",
		"identityProfile.kubeletidentity.clientId":                      "c",
		"identityProfile.kubeletidentity.objectId":                      nil,
		"tags.enableRBAC":                                               "kept",
		"addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID": "w",
		"addonProfiles.omsagent.identity":                               nil,
	}
	for path, want := range checks {
		if v := lookupPath(got, path); !reflect.DeepEqual(v, want) {
			t.Errorf("%s = %#v, want %#v", path, v, want)
		}
	}
	pool := got["agentPoolProfiles"].([]any)[0].(map[string]any)
	if pool["osDiskSizeGb"] != json.Number("128") || pool["enableNodePublicIp"] != false || lookupPath(pool, "nodeLabels.osDiskSizeGB") != "kept" {
		t.Errorf("agent pool %v", pool)
	}
	for _, k := range []string{"properties", "azurePortalFQDN", "enableRBAC"} {
		if _, ok := got[k]; ok {
			t.Errorf("REST key %q left in az output", k)
		}
	}
	for _, f := range clusterSchema.fields {
		if _, ok := got[f]; !ok {
			t.Errorf("model field %q missing (want null)", f)
		}
	}
	if _, ok := got["tags"]; !ok {
		t.Error("tags dropped although set")
	}
	if _, ok := azCluster(mustDecode(t, `{"id":"x"}`)).(map[string]any)["tags"]; ok {
		t.Error("null tags printed; az drops them")
	}
	// Every renamed key is the az (Python SDK) camel case of the REST key.
	for rest, az := range clusterKeys {
		if !strings.EqualFold(rest, az) {
			t.Errorf("clusterKeys[%q] = %q: not the same word", rest, az)
		}
	}
}

func TestDefaultDNSPrefix(t *testing.T) {
	tests := []struct{ name, cluster, group, sub, want string }{
		{name: "az-wire example", cluster: "myAKSCluster", group: "myResourceGroup", sub: "8f1c2a9e-0000", want: "myAKSClust-myResourceGroup-8f1c2a"},
		{name: "leading digit gets a", cluster: "1cluster", group: "rg_with.dots", sub: "abc", want: "a1cluster-rgwithdots-abc"},
		{name: "long group cut at 16", cluster: "c", group: "abcdefghijklmnopqrstuvwxyz", sub: "123456789", want: "c-abcdefghijklmnop-123456"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultDNSPrefix(tc.cluster, tc.group, tc.sub); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want map[string]any
	}{
		{name: "space separated", in: []string{"a=b c=d"}, want: map[string]any{"a": "b", "c": "d"}},
		{name: "repeated flag, key only", in: []string{"a=b", "flag"}, want: map[string]any{"a": "b", "flag": ""}},
		{name: "empty clears", in: []string{""}, want: map[string]any{}},
		{name: "value with =", in: []string{"k=v=w"}, want: map[string]any{"k": "v=w"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseTags(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseARMError(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code, msg  string
		notFound   bool
	}{
		{name: "ARM envelope", status: 404, body: `{"error":{"code":"ResourceNotFound","message":"gone"}}`, code: "ResourceNotFound", msg: "gone", notFound: true},
		{name: "AKS top-level shape", status: 400, body: `{"code":"InvalidParameter","details":null,"message":"bad","subcode":""}`, code: "InvalidParameter", msg: "bad"},
		{name: "group not found code on 404", status: 404, body: `{"error":{"code":"ResourceGroupNotFound","message":"m"}}`, code: "ResourceGroupNotFound", msg: "m", notFound: true},
		{name: "plain text", status: 502, body: "upstream down", code: "BadGateway", msg: "upstream down"},
		{name: "empty", status: 500, body: "", code: "InternalServerError", msg: "Operation returned an invalid status '500'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := parseARMError(tc.status, []byte(tc.body))
			if e.Code != tc.code || e.Message != tc.msg || e.NotFound() != tc.notFound {
				t.Errorf("got %+v notFound=%v", e, e.NotFound())
			}
		})
	}
}

// FuzzParseARMError: any body yields a code and a message, never a panic.
func FuzzParseARMError(f *testing.F) {
	f.Add(400, `{"error":{"code":"X","message":"m"}}`) // envelope
	f.Add(400, `{"code":"X","message":"m"}`)           // AKS top level
	f.Add(404, `[1,2]`)                                // wrong shape
	f.Add(500, "")                                     // empty body
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			return
		}
		e := parseARMError(status, []byte(body))
		if e.Code == "" || e.Message == "" {
			t.Fatalf("parseARMError(%d, %q) = %+v: code and message must be set", status, body, e)
		}
		_ = e.Error()
	})
}
