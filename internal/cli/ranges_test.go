package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAuthorizedIPRanges pins az's normalisation of
// --api-server-authorized-ip-ranges (acs/_helpers.py and the managed
// cluster decorator): "" disables, "   " is sent as [""].
func TestAuthorizedIPRanges(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "empty disables", in: "", want: []string{}},
		{name: "white space is one empty item", in: "   ", want: []string{""}},
		{name: "items stripped", in: " 20.20.20.20 , AzureCloud", want: []string{"20.20.20.20", "AzureCloud"}},
		{name: "egress only", in: "0.0.0.0/32", want: []string{"0.0.0.0/32"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AuthorizedIPRanges(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("AuthorizedIPRanges(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWhiteSpaceRangesSentAsEmptyItem checks that create and update send
// what az sends for "   ": authorizedIPRanges [""], with no client-side error.
func TestWhiteSpaceRangesSentAsEmptyItem(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "create", args: []string{"aks", "create", "-g", "myResourceGroup", "-n", "c2", "-l", "eastus", "--api-server-authorized-ip-ranges", "   "}},
		{name: "update", args: []string{"aks", "update", "-g", "myResourceGroup", "-n", "myAKSCluster", "--api-server-authorized-ip-ranges", "   "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARM(t).withCluster()
			var o, e bytes.Buffer
			if code := Run(f.env(t), tc.args, &o, &e); code != 0 {
				t.Fatalf("exit %d: %s", code, e.String())
			}
			var put map[string]any
			for i, r := range f.requests {
				if strings.HasPrefix(r, "PUT ") {
					if err := json.Unmarshal([]byte(f.bodies[i]), &put); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := lookupPath(put, "properties.apiServerAccessProfile.authorizedIPRanges")
			if !reflect.DeepEqual(got, []any{""}) {
				t.Errorf("sent authorizedIPRanges %v, want [\"\"]", got)
			}
		})
	}
}
