package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServiceTagsShowFeeds checks that a tag of another provider's feed
// prints in the same JSON shape as an Azure tag.
func TestServiceTagsShowFeeds(t *testing.T) {
	tests := []struct {
		tag, file    string
		v4, v6       int
		changeNumber int64 // 0: a content hash, only checked positive
	}{
		{"GitHub.Actions", "github-meta-2025-07-21.json", 4335, 972, 0},
		{"aws.ec2.US-EAST-1", "aws-ip-ranges-2025-07-24T07-33-30.json", 248, 159, 1753342410},
		{"GoogleCloud.us-east1", "google-cloud-2025-07-11.json", 36, 1, 1752264356993},
		{"OracleCloud.us-ashburn-1", "oracle-public-ip-ranges-2025-07-11.json", 67, 0, 1752213985},
		{"Cloudflare", "cloudflare-ips-v6-2023-10-11.txt", 0, 7, 0},
		{"Fastly", "fastly-public-ip-list-2024-10-08.json", 19, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			code, out, errs := tagwall(t, "servicetags", "show", tt.tag, "--source", shared(t, tt.file), "-o", "json")
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			// The download format's tag, as tagJSON with id and platform.
			var tag struct {
				Name       string `json:"name"`
				ID         string `json:"id"`
				Properties struct {
					ChangeNumber    int64    `json:"changeNumber"`
					Platform        string   `json:"platform"`
					AddressPrefixes []string `json:"addressPrefixes"`
				} `json:"properties"`
			}
			if err := json.Unmarshal([]byte(out), &tag); err != nil {
				t.Fatal(err)
			}
			var v4, v6 int
			for _, s := range tag.Properties.AddressPrefixes {
				if netip.MustParsePrefix(s).Addr().Is4() {
					v4++
				} else {
					v6++
				}
			}
			cn := tag.Properties.ChangeNumber
			if !strings.EqualFold(tag.Name, tt.tag) || tag.ID != tag.Name || v4 != tt.v4 || v6 != tt.v6 ||
				cn <= 0 || (tt.changeNumber != 0 && cn != tt.changeNumber) {
				t.Errorf("%s: id %q, %d v4, %d v6, changeNumber %d; want %d v4, %d v6, cn %d", tag.Name, tag.ID, v4, v6, cn, tt.v4, tt.v6, tt.changeNumber)
			}
			if provider, _, _ := strings.Cut(tag.Name, "."); tag.Properties.Platform != provider {
				t.Errorf("platform %q, want %q", tag.Properties.Platform, provider)
			}
		})
	}
}

// TestServiceTagsFeedDiffAndLookup diffs two Google Cloud and two Oracle
// documents and looks up an address of GitHub.Actions.
func TestServiceTagsFeedDiffAndLookup(t *testing.T) {
	for _, tt := range []struct {
		old, new       string
		changed, added int
	}{
		{"google-cloud-2025-07-11.json", "google-cloud-2025-07-24.json", 3, 4},
		{"oracle-public-ip-ranges-2025-07-11.json", "oracle-public-ip-ranges-2025-07-21.json", 34, 110},
	} {
		code, out, errs := tagwall(t, "servicetags", "diff", shared(t, tt.old), shared(t, tt.new), "-o", "json")
		if code != 0 {
			t.Fatalf("diff %s: exit %d: %s", tt.old, code, errs)
		}
		var d struct {
			Changed []struct {
				AddedPrefixes []string `json:"addedPrefixes"`
			} `json:"changed"`
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		added := 0
		for _, c := range d.Changed {
			added += len(c.AddedPrefixes)
		}
		if len(d.Changed) != tt.changed || added != tt.added {
			t.Errorf("diff %s %s: %d changed, +%d; want %d, +%d", tt.old, tt.new, len(d.Changed), added, tt.changed, tt.added)
		}
	}
	code, out, errs := tagwall(t, "servicetags", "lookup", "4.148.0.1", "--source", shared(t, "github-meta-2025-07-21.json"))
	if code != 0 || !strings.Contains(out, "GitHub.Actions") || !strings.Contains(out, "4.148.0.0/16") {
		t.Errorf("lookup: exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestServiceTagsLookupAcrossClouds: lookup answers "whose address is
// this?" over every loaded document: with no --source the embedded
// snapshots (4.148.0.1 is Azure's and GitHub Actions'), with repeated
// --source every feed given.
func TestServiceTagsLookupAcrossClouds(t *testing.T) {
	type hit struct{ Name, Cloud, Prefix, Source string }
	aws := shared(t, "aws-ip-ranges-2025-07-24T07-33-30.json")
	tests := []struct {
		name    string
		args    []string
		want    []hit // every hit, in order
		wantSub []string
	}{
		{name: "embedded snapshots", args: []string{"4.148.0.1"}, want: []hit{
			{"AzureCloud", "Azure", "4.148.0.0/16", "embedded:azure-public-2025-10-13.json.bz2"},
			{"AzureCloud.westus3", "Azure", "4.148.0.0/16", "embedded:azure-public-2025-10-13.json.bz2"},
			{"GitHub.Actions", "GitHub", "4.148.0.0/16", "embedded:github-meta-2025-07-21.json.bz2"},
		}},
		{name: "several feeds", args: []string{"2600:1f18::1", "--source", shared(t, "github-meta-2025-07-21.json"), "--source", aws,
			"--source", shared(t, "fastly-public-ip-list-2024-10-08.json")}, want: []hit{
			{"AWS", "AWS", "2600:1f18::/33", aws}, {"AWS.AMAZON", "AWS", "2600:1f18::/33", aws},
			{"AWS.AMAZON.us-east-1", "AWS", "2600:1f18::/33", aws}, {"AWS.EC2", "AWS", "2600:1f18::/33", aws},
			{"AWS.EC2.us-east-1", "AWS", "2600:1f18::/33", aws},
		}},
		{name: "nowhere", args: []string{"192.0.2.1", "--source", aws}, want: []hit{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := tagwall(t, append([]string{"servicetags", "lookup", "-o", "json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got []hit
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("hits\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestServiceTagsListFeeds lists one feed's tags by prefix, and the
// embedded snapshots by default.
func TestServiceTagsListFeeds(t *testing.T) {
	code, out, errs := tagwall(t, "servicetags", "list", "--source", shared(t, "aws-ip-ranges-2025-07-24T07-33-30.json"), "--prefix", "aws.ec2.us-east-1")
	want := "AWS.EC2.us-east-1  AWS    us-east-1  1753342410    248   159"
	if code != 0 || !strings.Contains(out, want) || strings.Count(out, "\n") != 2 {
		t.Fatalf("list: exit %d, stdout\n%s\nstderr %s; want a header and %q", code, out, errs, want)
	}
	code, out, errs = tagwall(t, "servicetags", "list", "--prefix", "github.", "-o", "json")
	if code != 0 || !strings.Contains(out, `"name": "GitHub.Actions"`) || !strings.Contains(out, `"ipv4": 4335`) {
		t.Fatalf("list of the embedded GitHub snapshot: exit %d, %s %s", code, out, errs)
	}
}

// TestCheckSeveralSources: check resolves tags of several feeds given by
// repeated --source, with the managed API's rules (both preview features
// in force: up to 4 tags, one Azure tag), and refuses two documents that
// define one name.
func TestCheckSeveralSources(t *testing.T) {
	gh, aws := shared(t, "github-meta-2025-07-21.json"), shared(t, "aws-ip-ranges-2025-07-24T07-33-30.json")
	tests := []struct {
		name    string
		args    []string
		code    int
		wantOut string
	}{
		{name: "github address", args: []string{"4.148.0.1", "--ranges", "GitHub.Actions,AWS.EC2.us-east-1", "--source", gh, "--source", aws},
			code: 0, wantOut: "allowed 4.148.0.1"},
		{name: "aws address", args: []string{"2600:1f18::1", "--ranges", "GitHub.Actions,AWS.EC2.us-east-1", "--source", gh, "--source", aws},
			code: 0, wantOut: "allowed 2600:1f18::1"},
		{name: "neither", args: []string{"192.0.2.1", "--ranges", "GitHub.Actions,AWS.EC2.us-east-1", "--source", gh, "--source", aws},
			code: 1, wantOut: "denied 192.0.2.1"},
		{name: "five tags", args: []string{"4.148.0.1", "--ranges", "GitHub.Actions,GitHub.Hooks,GitHub.Web,GitHub.Api,AWS.EC2", "--source", gh, "--source", aws},
			code: 2},
		{name: "one name in two documents", args: []string{"4.148.0.1", "--ranges", "GitHub.Actions", "--source", gh, "--source", gh}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := tagwall(t, append([]string{"check"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.wantOut) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, tt.code, out, errs)
			}
			if tt.name == "one name in two documents" && !strings.Contains(errs, "tag defined by two documents") {
				t.Fatalf("stderr %q", errs)
			}
			if tt.name == "five tags" && !strings.Contains(errs, "at most 4 service tags") {
				t.Fatalf("stderr %q", errs)
			}
		})
	}
}

// TestServiceTagsDiffGitHub diffs GitHub meta against a later document
// (one file is published in shared/testdata, so the later one is made from
// it: hooks dropped, a prefix added to actions).
func TestServiceTagsDiffGitHub(t *testing.T) {
	raw, err := os.ReadFile(shared(t, "github-meta-2025-07-21.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "hooks")
	m["actions"] = append(m["actions"].([]any), "198.51.100.0/24")
	later, _ := json.Marshal(m)
	path := filepath.Join(t.TempDir(), "github-meta-later.json")
	if err := os.WriteFile(path, later, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := tagwall(t, "servicetags", "diff", shared(t, "github-meta-2025-07-21.json"), path)
	want := []string{"changeNumber 0 -> 0: 0 tags added, 1 removed, 1 changed (+1/-0 prefixes)", "removed  GitHub.Hooks", "changed  GitHub.Actions  +1/-0"}
	for _, w := range want {
		if code != 0 || !strings.Contains(out, w) {
			t.Fatalf("diff: exit %d, stdout\n%s\nstderr %s; want %q", code, out, errs, w)
		}
	}
}

// TestServeFeedsFlag: an unknown or repeated --feeds name is a usage error
// naming it, before anything starts.
func TestServeFeedsFlag(t *testing.T) {
	for _, tt := range []struct{ feeds, want string }{
		{"github,bogus", `--feeds: parse feeds "github,bogus": parse feed name "bogus"`},
		{"aws,aws", "aws is listed twice"},
		{"azure", "Azure's service tags are not one of the other clouds' feeds"},
	} {
		code, _, errs := tagwall(t, "serve", "--feeds", tt.feeds, "--data-dir", t.TempDir(), "--no-client-config")
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("serve --feeds %s: exit %d, stderr %q; want 2 and %q", tt.feeds, code, errs, tt.want)
		}
	}
}
