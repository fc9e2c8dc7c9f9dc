package rangespec

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"testing"
)

// pyCase is one row of testdata/python311.json, written by the real
// CPython 3.11.7 (testdata/gen_python311.py): az's two validators' verdicts
// on a string, and for single items what ip_network and is_global said.
type pyCase struct {
	In      string `json:"in"`
	CLI     string `json:"cli"`
	Preview string `json:"preview"`
	Net     *struct {
		Prefix  string `json:"prefix"` // address as hex integer "/" length
		Global  bool   `json:"global"`
		Version int    `json:"version"`
	} `json:"net"`
}

func loadPyCases(tb testing.TB) []pyCase {
	tb.Helper()
	data, err := os.ReadFile("testdata/python311.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []pyCase
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatalf("decode testdata/python311.json: %v", err)
	}
	return cases
}

// hexPrefix renders p as the generator does: the address as an integer in
// lower-case hex without leading zeros, "/", the length.
func hexPrefix(p netip.Prefix) string {
	n := new(big.Int).SetBytes(p.Addr().AsSlice())
	return fmt.Sprintf("%x/%d", n, p.Bits())
}

// TestPythonGolden checks the Go port of ip_network, is_global and both
// validators against the interpreter's answers on ~2,700 inputs.
func TestPythonGolden(t *testing.T) {
	cases := loadPyCases(t)
	if len(cases) < 1000 {
		t.Fatalf("only %d cases in testdata/python311.json", len(cases))
	}
	for _, c := range cases {
		if c.Net == nil && c.In != "" && !containsComma(c.In) {
			if p, ok := pyNetwork(pyStrip(c.In)); ok {
				t.Errorf("pyNetwork(%q) = %v, Python raises ValueError", c.In, p)
			}
		}
		if c.Net != nil {
			p, ok := pyNetwork(pyStrip(c.In))
			switch {
			case !ok:
				t.Errorf("pyNetwork(%q) fails, Python gives %s", c.In, c.Net.Prefix)
			case hexPrefix(p) != c.Net.Prefix:
				t.Errorf("pyNetwork(%q) = %s (%s), Python gives %s", c.In, p, hexPrefix(p), c.Net.Prefix)
			case pyIsGlobal(p) != c.Net.Global:
				t.Errorf("pyIsGlobal(%s) = %v, Python says %v", p, pyIsGlobal(p), c.Net.Global)
			}
		}
		for _, m := range []struct {
			mode Mode
			want string
		}{{ModeCLI, c.CLI}, {ModePreviewCLI, c.Preview}} {
			_, err := ParseString(c.In, Options{Mode: m.mode})
			got := ""
			if e := FirstError(err); e != nil {
				got = e.Message
			} else if err != nil {
				t.Fatalf("ParseString(%q, %v) returned a non-*Error: %v", c.In, m.mode, err)
			}
			if got != m.want {
				t.Errorf("ParseString(%q, %v): first error %q, az says %q", c.In, m.mode, got, m.want)
			}
		}
	}
}

func containsComma(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return true
		}
	}
	return false
}
