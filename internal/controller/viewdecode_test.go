package controller

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tagwall/tagwall/internal/state"
)

// records are cluster records as the API and the controller write them.
func records(tb testing.TB) [][]byte {
	tb.Helper()
	yes := true
	mcs := []state.ManagedCluster{
		{},
		{Subscription: "s", ResourceGroup: "rg", Name: "c", FQDN: "c-1.eastus.test", ProvisioningState: state.Succeeded,
			Generation: 7, AppliedGeneration: 6, PowerState: state.PowerStopped, KubernetesVersion: "1.32", Tags: map[string]string{"k": `v"}{[`, "<html>": "\u2028"},
			AgentPools:     []map[string]any{{"name": "np", "count": 3, "nested": map[string]any{"a": []any{1, "x]", nil, true}}}},
			NetworkProfile: map[string]any{"plugin": `a\b`},
			Extra:          map[string]json.RawMessage{"x": json.RawMessage(`{"y":[1,2,{"z":"}"}]}`)},
			Access:         state.AccessProfile{AuthorizedIPRanges: []string{"AzureCloud", "20.20.20.20"}, DisableRunCommand: &yes},
			Status:         state.ClusterStatus{EnforcedServiceTags: map[string]int64{"AzureCloud": 42}, Degraded: true, Message: `tag "x" vanished`}},
		{Name: `quo"te\back`, FQDN: "ünï.test", Generation: -1},
	}
	var out [][]byte
	for _, mc := range mcs {
		b, err := state.Encode(mc)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return append(out, []byte(` { "name" : "spaced" , "generation" : 3 , "FQDN": "folded" } `), []byte(`{"status":null,"generation":null}`))
}

// TestDecodeView checks the skipping decoder against encoding/json.
func TestDecodeView(t *testing.T) {
	for _, b := range records(t) {
		checkDecodeView(t, b)
	}
}

func checkDecodeView(t *testing.T, b []byte) {
	t.Helper()
	var want, got clusterView
	werr := json.Unmarshal(b, &want)
	gerr := decodeView(b, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: error %v, want %v", b, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", b, got, want)
	}
}

// TestViewMembersDecoded checks that member's switch decodes every field
// of clusterView (a field it misses is still decoded, by encoding/json,
// but every record then takes the slow path).
func TestViewMembersDecoded(t *testing.T) {
	if len(viewMembers) == 0 {
		t.Fatal("no view members")
	}
	for _, n := range viewMembers {
		var v clusterView
		if err := v.member(n, []byte("null")); err != nil {
			t.Errorf("member %q: %v, want it decoded", n, err)
		}
	}
}

// FuzzDecodeView: on valid JSON the skipping decoder agrees with
// encoding/json; on anything it does not panic.
func FuzzDecodeView(f *testing.F) {
	for _, b := range records(f) {
		f.Add(b) // records as written, and hand-made shapes
	}
	f.Add([]byte(`{"access":{"authorizedIPRanges":["1.2.3.4/32"]},"access":{"enablePrivateCluster":true}}`)) // repeated member
	f.Add([]byte(`{"name":"\ud800"}`))                                                                       // invalid surrogate
	f.Fuzz(func(t *testing.T, b []byte) {
		var v clusterView
		err := decodeView(b, &v)
		if json.Valid(b) {
			var want clusterView
			if werr := json.Unmarshal(b, &want); werr == nil && (err != nil || !reflect.DeepEqual(v, want)) {
				t.Fatalf("%q: got %+v (%v), want %+v", b, v, err, want)
			}
		}
	})
}
