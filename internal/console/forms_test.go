package console_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rangesOf returns the list the cluster page shows in its form.
func rangesOf(t *testing.T, b *browser, path string) string {
	t.Helper()
	p := b.get(path)
	i := strings.Index(p.body, `name="ranges"`)
	if i < 0 {
		t.Fatalf("no list form on %s", path)
	}
	rest := p.body[i:]
	rest = rest[strings.Index(rest, ">")+1:]
	return rest[:strings.Index(rest, "</textarea>")]
}

func TestChangeRanges(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	admin, teamA := e.browser(t), e.browser(t)
	admin.signInAdmin()
	teamA.signInTeamA()
	alpha := "/ui/clusters/" + subA + "/rg-a/alpha"
	bravo := "/ui/clusters/" + subB + "/rg-b/bravo"
	tests := []struct {
		name       string
		b          *browser
		path       string
		form       url.Values
		noCSRF     bool
		origin     string
		want       int
		text       string // in the answer
		wantRanges string // the list afterwards ("" : unchanged)
	}{
		{name: "two tags: the API's message", b: admin, path: alpha, form: url.Values{"ranges": {"AzureCloud, Storage"}},
			want: http.StatusBadRequest, text: "only one service tag is allowed"},
		{name: "host bits: the API's message with the masked form", b: admin, path: alpha, form: url.Values{"ranges": {"137.117.106.90/29"}},
			want: http.StatusBadRequest, text: "137.117.106.88/29"},
		{name: "private range", b: admin, path: alpha, form: url.Values{"ranges": {"10.0.0.0/8"}},
			want: http.StatusBadRequest, text: "must be global non-reserved addresses or CIDRs"},
		{name: "unknown tag", b: admin, path: alpha, form: url.Values{"ranges": {"AzureClod"}},
			want: http.StatusBadRequest, text: "unknown service tag"},
		{name: "empty without the checkbox", b: admin, path: alpha, form: url.Values{"ranges": {" "}},
			want: http.StatusBadRequest, text: "An empty list admits every address"},
		{name: "no csrf token", b: admin, path: alpha, form: url.Values{"ranges": {"20.1.1.1"}}, noCSRF: true,
			want: http.StatusForbidden, text: "security token"},
		{name: "other origin", b: admin, path: alpha, form: url.Values{"ranges": {"20.1.1.1"}}, origin: "https://evil.example",
			want: http.StatusForbidden, text: "security token"},
		{name: "principal on another subscription", b: teamA, path: bravo, form: url.Values{"ranges": {"20.1.1.1"}},
			want: http.StatusNotFound, text: "of a subscription you may see"},
		{name: "principal on its own cluster", b: teamA, path: alpha, form: url.Values{"ranges": {"20.1.1.1, 52.10.0.0/16"}},
			want: http.StatusSeeOther, wantRanges: "20.1.1.1/32, 52.10.0.0/16"},
		{name: "admin, commas and new lines", b: admin, path: bravo, form: url.Values{"ranges": {"AzureCloud\n8.8.8.8"}},
			want: http.StatusSeeOther, wantRanges: "AzureCloud, 8.8.8.8/32"},
		{name: "turn the list off", b: admin, path: alpha, form: url.Values{"ranges": {""}, "disable": {"on"}},
			want: http.StatusSeeOther, wantRanges: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rangesOfAdmin(t, admin, tt.path)
			page := tt.b.get(tt.path)
			if !tt.noCSRF {
				if page.status == http.StatusOK {
					tt.form.Set("csrf", page.csrf(t))
				} else {
					tt.form.Set("csrf", tt.b.get("/ui/clusters").csrf(t))
				}
			}
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			p := tt.b.post(tt.path+"/ranges", tt.form, hdr...)
			if p.status != tt.want || (tt.text != "" && !strings.Contains(p.body, tt.text)) {
				t.Fatalf("status %d, want %d with %q:\n%s", p.status, tt.want, tt.text, p.body)
			}
			after := rangesOfAdmin(t, admin, tt.path)
			switch tt.wantRanges {
			case "":
				if after != before {
					t.Fatalf("list changed from %q to %q", before, after)
				}
			case "-":
				if after != "" {
					t.Fatalf("list %q, want off", after)
				}
			default:
				if after != tt.wantRanges {
					t.Fatalf("list %q, want %q", after, tt.wantRanges)
				}
				if loc := p.header.Get("Location"); loc != tt.path+"?updated=1" {
					t.Fatalf("redirect to %q", loc)
				}
			}
		})
	}
}

func rangesOfAdmin(t *testing.T, admin *browser, path string) string {
	t.Helper()
	return rangesOf(t, admin, path)
}

// TestChangeRangesIsEnforced checks that a list saved through the form
// reaches the compiled list the front door uses.
func TestChangeRangesIsEnforced(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	b := e.browser(t)
	b.signInAdmin()
	alpha := "/ui/clusters/" + subA + "/rg-a/alpha"
	p := b.post(alpha+"/ranges", url.Values{"csrf": {b.get(alpha).csrf(t)}, "ranges": {"52.10.0.0/16"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	id := strings.ToLower(clusterPath(subA, "rg-a", "alpha"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := (*e.routes.Load())[id]
		if r.Allow != nil && r.Allow.Contains(netip.MustParseAddr("52.10.1.1")) && !r.Allow.Contains(netip.MustParseAddr("20.20.20.20")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new list was not compiled: %v", r.Allow)
		}
	}
	if p := b.get("/ui/check?cluster=" + url.QueryEscape(subA+"/rg-a/alpha") + "&addr=52.10.1.1"); !strings.Contains(p.body, "<strong>admitted</strong>") {
		t.Fatalf("check after the change:\n%s", p.body)
	}
}

func TestCheckPage(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	cur, _ := catalogs(t)
	azure, _ := cur.Lookup("AzureCloud")
	inAzure := azure.Prefixes[0].Addr().Next().String()
	admin, teamA := e.browser(t), e.browser(t)
	admin.signInAdmin()
	teamA.signInTeamA()
	alpha, bravo := url.QueryEscape(subA+"/rg-a/alpha"), url.QueryEscape(subB+"/rg-b/bravo")
	tests := []struct {
		name  string
		b     *browser
		query string
		want  int
		text  []string
	}{
		{name: "empty form", b: admin, query: "", want: http.StatusOK, text: []string{"Choose a cluster", "alpha (rg-a)", "bravo (rg-b)"}},
		{name: "principal's menu", b: teamA, query: "", want: http.StatusOK, text: []string{"alpha (rg-a)"}},
		{name: "plain address admitted", b: admin, query: "cluster=" + alpha + "&addr=20.20.20.20", want: http.StatusOK,
			text: []string{"<strong>admitted</strong>", "20.20.20.20/32", "matched 20.20.20.20/32"}},
		{name: "tag admits", b: admin, query: "cluster=" + alpha + "&addr=" + inAzure, want: http.StatusOK,
			text: []string{"<strong>admitted</strong>", "service tag AzureCloud", "Service tags containing"}},
		{name: "own CIDR admits", b: admin, query: "cluster=" + bravo + "&addr=8.8.4.9", want: http.StatusOK,
			text: []string{"<strong>admitted</strong>", "8.8.4.0/24"}},
		{name: "system range admits", b: admin, query: "cluster=" + bravo + "&addr=198.51.100.7", want: http.StatusOK,
			text: []string{"<strong>admitted</strong>", "198.51.100.7/32"}},
		{name: "refused", b: admin, query: "cluster=" + bravo + "&addr=20.20.20.20", want: http.StatusOK,
			text: []string{"<strong>refused</strong>", "not in any entry"}},
		{name: "not an address", b: admin, query: "cluster=" + alpha + "&addr=20.20.20", want: http.StatusBadRequest,
			text: []string{"is not an IP address"}},
		{name: "another subscription's cluster", b: teamA, query: "cluster=" + bravo + "&addr=8.8.4.9", want: http.StatusBadRequest,
			text: []string{"Choose one of your clusters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.b.get("/ui/check?" + tt.query)
			if p.status != tt.want {
				t.Fatalf("status %d, want %d:\n%s", p.status, tt.want, p.body)
			}
			for _, w := range tt.text {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if tt.b == teamA && strings.Contains(p.body, "bravo") {
				t.Errorf("principal of %s sees bravo", subA)
			}
		})
	}
}

func TestTagsPage(t *testing.T) {
	e := newEnv(t)
	cur, prev := catalogs(t)
	azure, _ := cur.Lookup("AzureCloud")
	b := e.browser(t)
	b.signInAdmin()
	tests := []struct {
		name, query string
		want        int
		text        []string
	}{
		{name: "status and diff", query: "", want: http.StatusOK, text: []string{
			"file:azure-public.json", "held", "AzureCloud shrank", "2026-12-04 22:00:00 UTC",
			"Changes from the previous version", "changeNumber " + itoa(prev.Document().ChangeNumber) + " → " + itoa(cur.Document().ChangeNumber)}},
		{name: "search by name", query: "q=azurecloud.eastus", want: http.StatusOK, text: []string{"AzureCloud.eastus", "eastus"}},
		{name: "base tag lists its regions", query: "q=AzureCloud", want: http.StatusOK, text: []string{"regions</summary>"}},
		{name: "many matches are capped", query: "q=a", want: http.StatusOK, text: []string{"the first 100 are shown"}},
		{name: "whose address", query: "addr=" + azure.Prefixes[0].Addr().String(), want: http.StatusOK,
			text: []string{"AzureCloud", azure.Prefixes[0].String()}},
		{name: "nobody's address", query: "addr=192.0.2.1", want: http.StatusOK, text: []string{"No service tag contains 192.0.2.1"}},
		{name: "not an address", query: "addr=nope", want: http.StatusOK, text: []string{"is not an IP address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/ui/tags?" + tt.query)
			if p.status != tt.want {
				t.Fatalf("status %d", p.status)
			}
			for _, w := range tt.text {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if len(p.body) > viewBudget {
				t.Errorf("page weight %d > %d", len(p.body), viewBudget)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
