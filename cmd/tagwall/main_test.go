package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// shared is the real service-tag data beside the checkout (never copied in).
func shared(tb testing.TB, name string) string {
	tb.Helper()
	return testutil.ServiceTags(tb, name)
}

// tagJSON is one tag of `servicetags show -o json` (the download format).
type tagJSON struct {
	Name       string `json:"name"`
	Properties struct {
		ChangeNumber    int64    `json:"changeNumber"`
		AddressPrefixes []string `json:"addressPrefixes"`
	} `json:"properties"`
}

// tagwall runs the CLI in-process and returns its exit status and output.
func tagwall(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestServiceTagsShowAzureCloud(t *testing.T) {
	code, out, errs := tagwall(t, "servicetags", "show", "AzureCloud", "--source", shared(t, "azure-public-2025-10-13.json"), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var tag tagJSON
	if err := json.Unmarshal([]byte(out), &tag); err != nil {
		t.Fatal(err)
	}
	var v4, v6 int
	for _, s := range tag.Properties.AddressPrefixes {
		p := netip.MustParsePrefix(s)
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if tag.Name != "AzureCloud" || v4 != 9572 || v6 != 3490 || tag.Properties.ChangeNumber != 272 {
		t.Errorf("AzureCloud: name %q, %d v4, %d v6, changeNumber %d; want 9572 v4, 3490 v6, cn 272", tag.Name, v4, v6, tag.Properties.ChangeNumber)
	}
}

func TestServiceTagsShowCaseInsensitive(t *testing.T) {
	code, out, errs := tagwall(t, "servicetags", "show", "azurecloud.EastUS", "--source", shared(t, "azure-public-2025-10-13.json"))
	if code != 0 || !strings.Contains(out, "AzureCloud.eastus") {
		t.Fatalf("exit %d, stdout %.200s, stderr %s", code, out, errs)
	}
}

func TestServiceTagsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		source string
		want   string // substring of stderr
	}{
		{"html error page", shared(t, "cloudflare-ips-v4-error500-2024-10-29.html"), "HTML"},
		{"truncated json", write("trunc.json", `{"changeNumber": 1, "cloud": "Public", "values": [{"name": "A"`), "trunc.json"},
		{"wrong type", write("type.json", `{"changeNumber": {}, "cloud": "Public", "values": []}`), "changeNumber"},
		{"bad prefix", write("prefix.json", `{"changeNumber": 1, "cloud": "Public", "values": [{"name": "A", "id": "A", "properties": {"changeNumber": 1, "addressPrefixes": ["1.2.3.4/33"]}}]}`), "1.2.3.4/33"},
		{"empty", write("empty.json", ``), "empty.json"},
		{"missing file", filepath.Join(dir, "nope.json"), "nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := tagwall(t, "servicetags", "show", "AzureCloud", "--source", tt.source)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d stderr %q; want exit 2 and %q", code, errs, tt.want)
			}
			if strings.Contains(errs, "goroutine ") {
				t.Errorf("stack trace on stderr: %s", errs)
			}
		})
	}
}

func TestServiceTagsDiffPairs(t *testing.T) {
	tests := []struct {
		old, new                             string
		added, removed, changed, plus, minus int
	}{
		{"azure-public-2025-09-08.json", "azure-public-2025-10-06.json", 37, 0, 273, 1253, 116},
		{"azure-public-2025-10-06.json", "azure-public-2025-10-13.json", 0, 0, 111, 487, 105},
		{"azure-government-2026-03-23.json", "azure-government-2026-05-04.json", 3, 32, 13, 117, 10},
		{"azure-government-2026-07-06.json", "azure-government-2026-07-13.json", 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.old+"->"+tt.new, func(t *testing.T) {
			code, out, errs := tagwall(t, "servicetags", "diff", shared(t, tt.old), shared(t, tt.new), "-o", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var d struct {
				Added   []string `json:"added"`
				Removed []string `json:"removed"`
				Changed []struct {
					AddedPrefixes   []string `json:"addedPrefixes"`
					RemovedPrefixes []string `json:"removedPrefixes"`
				} `json:"changed"`
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatal(err)
			}
			var plus, minus int
			for _, c := range d.Changed {
				plus += len(c.AddedPrefixes)
				minus += len(c.RemovedPrefixes)
			}
			if len(d.Added) != tt.added || len(d.Removed) != tt.removed || len(d.Changed) != tt.changed || plus != tt.plus || minus != tt.minus {
				t.Errorf("got +%d -%d ~%d (+%d/-%d prefixes), want +%d -%d ~%d (+%d/-%d)",
					len(d.Added), len(d.Removed), len(d.Changed), plus, minus, tt.added, tt.removed, tt.changed, tt.plus, tt.minus)
			}
		})
	}
}

func TestServiceTagsLookup(t *testing.T) {
	// 20.20.20.20 is not Azure's; an address from AzureCloud.eastus is in
	// AzureCloud and its regional tag.
	src := shared(t, "azure-public-2025-10-13.json")
	inside := firstAddrOf(t, src, "AzureCloud.eastus")
	code, out, errs := tagwall(t, "servicetags", "lookup", inside, "--source", src, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{`"AzureCloud"`, `"AzureCloud.eastus"`} {
		if !strings.Contains(out, want) {
			t.Errorf("lookup %s: %s missing from %s", inside, want, out)
		}
	}
}

// firstAddrOf returns an address inside the first IPv4 prefix of a tag.
func firstAddrOf(tb testing.TB, src, tag string) string {
	tb.Helper()
	_, out, errs := tagwall(tb, "servicetags", "show", tag, "--source", src, "-o", "json")
	var j tagJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		tb.Fatalf("show %s: %v (%s)", tag, err, errs)
	}
	for _, s := range j.Properties.AddressPrefixes {
		p := netip.MustParsePrefix(s)
		if p.Addr().Is4() {
			return p.Addr().Next().String()
		}
	}
	tb.Fatalf("%s has no IPv4 prefix", tag)
	return ""
}

func TestCheck(t *testing.T) {
	src := shared(t, "azure-public-2025-10-13.json")
	inside := firstAddrOf(t, src, "AzureCloud")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // substring of stdout (code 0/1) or stderr (code 2)
	}{
		// Entries are named as stored (normalised), as serve and the gateway name them.
		{"plain address allowed", []string{"20.20.20.20", "--ranges", "AzureCloud,20.20.20.20"}, 0, `"entry": "20.20.20.20/32"`},
		{"tag address allowed", []string{inside, "--ranges", "AzureCloud,20.20.20.20"}, 0, `"tag": "AzureCloud"`},
		{"outside denied", []string{"8.8.8.8", "--ranges", "AzureCloud,20.20.20.20"}, 1, `"allowed": false`},
		{"disabled allows all", []string{"8.8.8.8", "--ranges", ""}, 0, `"allowed": true`},
		// az sends "   " as [""]; the API takes [""] as disabled (issue 13).
		{"white space disables as az sends it", []string{"8.8.8.8", "--ranges", "   "}, 0, `"allowed": true`},
		{"white space disables standalone too", []string{"8.8.8.8", "--ranges", "   ", "--standalone"}, 0, `"allowed": true`},
		{"empty item among others refused", []string{"8.8.8.8", "--ranges", " ,20.20.20.20"}, 2, "ranges"},
		{"two tags refused by server rules", []string{"8.8.8.8", "--ranges", "AzureCloud,Storage"}, 2, "only one Azure service tag"},
		{"two tags fine standalone", []string{inside, "--ranges", "AzureCloud,Storage", "--standalone"}, 0, `"allowed": true`},
		{"private refused by server rules", []string{"10.1.2.3", "--ranges", "10.0.0.0/8"}, 2, "10.0.0.0/8"},
		{"private fine standalone", []string{"10.1.2.3", "--ranges", "10.0.0.0/8", "--standalone"}, 0, `"entry": "10.0.0.0/8"`},
		{"host bits refused", []string{"1.2.3.4", "--ranges", "137.117.106.90/29"}, 2, "137.117.106.88/29"},
		{"unknown tag", []string{"1.2.3.4", "--ranges", "AzureClod"}, 2, "AzureCloud"},
		{"bad address", []string{"not-an-ip", "--ranges", "20.20.20.20"}, 2, "not an IP address"},
		{"missing ranges", []string{"1.2.3.4"}, 2, "--ranges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"check"}, tt.args...)
			args = append(args, "--source", src, "-o", "json")
			code, out, errs := tagwall(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.wantCode, out, errs)
			}
			got := out
			if tt.wantCode == 2 {
				got = errs
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output %q lacks %q", got, tt.want)
			}
		})
	}
}

// TestEmbeddedSnapshotWithoutSource: check and servicetags show with no
// --source read the snapshot embedded in the binary and say so.
func TestEmbeddedSnapshotWithoutSource(t *testing.T) {
	code, out, errs := tagwall(t, "check", "20.20.20.20", "--ranges", "AzureCloud,20.20.20.20")
	if code != 0 || !strings.HasPrefix(out, "allowed 20.20.20.20") || !strings.Contains(errs, "embedded snapshot, changeNumber ") {
		t.Fatalf("check: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = tagwall(t, "servicetags", "show", "AzureCloud", "-o", "json")
	var tag tagJSON
	if code != 0 || json.Unmarshal([]byte(out), &tag) != nil || tag.Name != "AzureCloud" || len(tag.Properties.AddressPrefixes) < 10000 {
		t.Fatalf("show: exit %d, stderr %q, tag %q with %d prefixes", code, errs, tag.Name, len(tag.Properties.AddressPrefixes))
	}
	if !strings.Contains(errs, "embedded snapshot") {
		t.Errorf("show does not say it read the embedded snapshot: %q", errs)
	}
	code, _, errs = tagwall(t, "servicetags", "show", "AzureCloud", "--cloud", "China")
	if code != 0 || !strings.Contains(errs, "embedded snapshot") {
		t.Fatalf("show --cloud China: exit %d, stderr %q", code, errs)
	}
	// Addresses only: no document is read at all.
	code, _, errs = tagwall(t, "check", "20.20.20.20", "--ranges", "20.20.20.20")
	if code != 0 || errs != "" {
		t.Fatalf("check without tags: exit %d, stderr %q", code, errs)
	}
}
