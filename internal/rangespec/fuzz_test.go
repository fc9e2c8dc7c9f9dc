package rangespec

import (
	"strings"
	"testing"
)

// FuzzParseSpec checks, on any input string and every mode: no panic; every
// failure is a non-empty, index-ordered list of *Error; ModeCLI success
// implies ModePreviewCLI success; a ModeServer or ModeStandalone success is
// canonical (masked prefixes, catalog spelling, no duplicates) and its
// Strings() re-parse to the same Spec; and where Go's strict netip syntax
// reads an item as a CIDR, the Python port reads the same CIDR.
func FuzzParseSpec(f *testing.F) {
	f.Add("")                                      // disabled
	f.Add("   ")                                   // white space: disabled
	f.Add("AzureCloud,20.20.20.20")                // the documented example
	f.Add("azurecloud.EASTUS, 2001:4860::1")       // case-insensitive tag, bare v6
	f.Add("0.0.0.0/32")                            // egress only
	f.Add("0.0.0.0/32,1.2.3.4")                    // egress mixed
	f.Add("1.2.3.4,")                              // empty item
	f.Add("137.117.106.90/29")                     // host bits
	f.Add("10.0.0.0/8,fd00::/8,224.0.0.1")         // non-global ranges
	f.Add("1.2.3.0/255.255.255.0")                 // Python netmask form
	f.Add("1.2.3.0/024")                           // Python accepts a zero-padded length
	f.Add("fe80::1%eth0,2001:4860::%x/32")         // scope ids
	f.Add("::ffff:1.2.3.4/128,1:2:3:4:5:6:7::")    // mapped v4, trailing ::
	f.Add("AzureClod,Storage,storage,20.20.20.20") // typo, two tags, duplicate
	f.Add("\u00a01.2.3.4\x1c")                     // Python-only white space
	f.Fuzz(func(t *testing.T, s string) {
		specs := map[Mode]Spec{}
		for _, opt := range []Options{optCLI, optPreview, optServer, optStandalone} {
			spec, err := ParseString(s, opt)
			if err != nil {
				checkFuzzErr(t, s, opt, err)
				continue
			}
			specs[opt.Mode] = spec
			if opt.Mode >= ModeServer {
				checkCanonical(t, s, opt, spec)
				checkRoundTrip(t, s, opt)
			}
		}
		_, cliOK := specs[ModeCLI]
		if _, previewOK := specs[ModePreviewCLI]; cliOK && !previewOK {
			t.Errorf("%q: core az accepts it, aks-preview does not", s)
		}
		for _, item := range strings.Split(s, ",") {
			checkPythonAgrees(t, pyStrip(item))
		}
	})
}

func checkFuzzErr(t *testing.T, s string, opt Options, err error) {
	all := Errors(err)
	if len(all) == 0 {
		t.Fatalf("%q (%v): error without *Error: %v", s, opt.Mode, err)
	}
	for i, e := range all {
		if e.Message == "" || e.Code != CodeInvalidParameter || e.Reason == nil {
			t.Errorf("%q (%v): incomplete error %+v", s, opt.Mode, e)
		}
		if i > 0 && e.Index < all[i-1].Index {
			t.Errorf("%q (%v): errors out of order: %v", s, opt.Mode, err)
		}
	}
}

func checkCanonical(t *testing.T, s string, opt Options, spec Spec) {
	seen := map[string]bool{}
	for _, e := range spec.Entries {
		if e.IsTag() {
			if c, ok := opt.Tags.LookupTag(e.Tag); !ok || c != e.Tag {
				t.Errorf("%q (%v): tag %q is not canonical", s, opt.Mode, e.Tag)
			}
		} else {
			p, ok := parseAddress(e.String())
			if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() || !ok || p != e.Prefix {
				t.Errorf("%q (%v): prefix %v is not canonical", s, opt.Mode, e.Prefix)
			}
		}
		if seen[e.String()] {
			t.Errorf("%q (%v): duplicate %q", s, opt.Mode, e.String())
		}
		seen[e.String()] = true
	}
}

// checkPythonAgrees: a canonical CIDR or bare address in Go's syntax is
// read the same by the ip_network port.
func checkPythonAgrees(t *testing.T, item string) {
	p, ok := parseAddress(item)
	if !ok || p != p.Masked() {
		return
	}
	py, pyOK := pyNetwork(item)
	if !pyOK || py != p {
		t.Errorf("%q: netip reads %v, the ip_network port reads %v (ok=%v)", item, p, py, pyOK)
	}
}
