package console_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/console"
)

// viewBudget is the page-weight bound of every view (issue 17).
const viewBudget = 200 << 10

// seed creates a cluster in each subscription: "alpha" in subA admits
// AzureCloud and 20.20.20.20, "bravo" in subB admits 8.8.4.0/24.
func seed(t *testing.T, e *env) {
	t.Helper()
	e.createCluster(t, subA, "rg-a", "alpha", "AzureCloud", "20.20.20.20")
	e.createCluster(t, subB, "rg-b", "bravo", "8.8.4.0/24")
}

func TestNoSessionRedirectsToSignIn(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	b := e.browser(t)
	tests := []struct {
		name, method, path string
	}{
		{name: "root", method: http.MethodGet, path: "/ui/"},
		{name: "clusters", method: http.MethodGet, path: "/ui/clusters"},
		{name: "cluster", method: http.MethodGet, path: "/ui/clusters/" + subA + "/rg-a/alpha"},
		{name: "tags", method: http.MethodGet, path: "/ui/tags?q=AzureCloud"},
		{name: "check", method: http.MethodGet, path: "/ui/check?cluster=" + subA + "/rg-a/alpha&addr=20.20.20.20"},
		{name: "unknown page", method: http.MethodGet, path: "/ui/nothing-here"},
		{name: "change list", method: http.MethodPost, path: "/ui/clusters/" + subA + "/rg-a/alpha/ranges"},
		{name: "sign out", method: http.MethodPost, path: "/ui/signout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p page
			if tt.method == http.MethodGet {
				p = b.get(tt.path)
			} else {
				p = b.post(tt.path, url.Values{"ranges": {"1.2.3.4"}})
			}
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/ui/signin") {
				t.Fatalf("status %d location %q, want 303 to the sign-in page", p.status, p.header.Get("Location"))
			}
			for _, secret := range []string{"alpha", "bravo", "AzureCloud", "20.20.20.20"} {
				if strings.Contains(p.body, secret) {
					t.Errorf("redirect body shows %q", secret)
				}
			}
		})
	}
	// The list was not changed by the anonymous POST.
	b.signInAdmin()
	if p := b.get("/ui/clusters/" + subA + "/rg-a/alpha"); !strings.Contains(p.body, "20.20.20.20/32") {
		t.Errorf("list changed by an anonymous POST:\n%s", p.body)
	}
}

func TestSignInCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	p := b.signIn("token", adminToken)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/clusters" {
		t.Fatalf("sign-in: %d to %q", p.status, p.header.Get("Location"))
	}
	var found bool
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name != "tagwall_session" {
			continue
		}
		found = true
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui/" {
			t.Errorf("session cookie flags: %+v", c)
		}
		if c.MaxAge <= 0 || c.MaxAge > int((8*time.Hour).Seconds()) || c.Expires.IsZero() {
			t.Errorf("session cookie expiry: max-age %d expires %v", c.MaxAge, c.Expires)
		}
		if len(c.Value) < 43 {
			t.Errorf("session id %q is short", c.Value)
		}
	}
	if !found {
		t.Fatalf("no session cookie in %v", p.header.Values("Set-Cookie"))
	}
	if p := b.get("/ui/clusters"); p.status != http.StatusOK {
		t.Fatalf("clusters after sign-in: %d", p.status)
	}
}

func TestSignInRefused(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		fields []string
		csrf   string // "": the page's token
		origin string
		want   int
		text   string
	}{
		{name: "wrong token", fields: []string{"token", "nope"}, want: http.StatusUnauthorized, text: "Sign-in failed"},
		{name: "wrong secret", fields: []string{"client_id", e.spA[0], "client_secret", "nope"}, want: http.StatusUnauthorized, text: "Sign-in failed"},
		{name: "unknown principal", fields: []string{"client_id", "00000000-0000-0000-0000-000000000000", "client_secret", "x"}, want: http.StatusUnauthorized, text: "Sign-in failed"},
		{name: "nothing given", fields: nil, want: http.StatusBadRequest, text: "Give the admin token"},
		{name: "no csrf token", fields: []string{"token", adminToken}, csrf: "forged", want: http.StatusForbidden, text: "security token"},
		{name: "cross-site origin", fields: []string{"token", adminToken}, origin: "https://evil.example", want: http.StatusForbidden, text: "security token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			p := b.get("/ui/signin")
			form := url.Values{"csrf": {p.csrf(t)}}
			if tt.csrf != "" {
				form.Set("csrf", tt.csrf)
			}
			for i := 0; i+1 < len(tt.fields); i += 2 {
				form.Set(tt.fields[i], tt.fields[i+1])
			}
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			p = b.post("/ui/signin", form, hdr...)
			if p.status != tt.want || !strings.Contains(p.body, tt.text) {
				t.Fatalf("status %d, want %d with %q:\n%s", p.status, tt.want, tt.text, p.body)
			}
			for _, c := range (&http.Response{Header: p.header}).Cookies() {
				if c.Name == "tagwall_session" && c.Value != "" {
					t.Fatalf("refused sign-in set a session cookie")
				}
			}
			if p := b.get("/ui/clusters"); p.status != http.StatusSeeOther {
				t.Fatalf("clusters after refused sign-in: %d", p.status)
			}
		})
	}
}

func TestClustersPage(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	e.createCluster(t, subA, "rg-a", "charlie", "20.30.40.0/24")
	admin, teamA := e.browser(t), e.browser(t)
	admin.signInAdmin()
	teamA.signInTeamA()
	tests := []struct {
		name         string
		b            *browser
		query        string
		want, absent []string
		order        []string // names in this order
	}{
		{name: "admin sees every subscription", b: admin, want: []string{"alpha", "bravo", "charlie", "AzureCloud", "change "}},
		{name: "principal sees its subscription only", b: teamA, want: []string{"alpha", "charlie", "Signed in as"}, absent: []string{"bravo", subB}},
		{name: "filter", b: admin, query: "q=8.8.4", want: []string{"bravo", "1 cluster match"}, absent: []string{">alpha<", ">charlie<"}},
		{name: "filter words", b: admin, query: "q=rg-a+azurecloud", want: []string{"alpha"}, absent: []string{">bravo<", ">charlie<"}},
		{name: "sort by name descending", b: admin, query: "sort=name&dir=desc", order: []string{">charlie<", ">bravo<", ">alpha<"}},
		{name: "sort by group", b: admin, query: "sort=group&dir=asc", order: []string{">alpha<", ">charlie<", ">bravo<"}},
		{name: "unknown sort key falls back to name", b: admin, query: "sort=evil&dir=x", order: []string{">alpha<", ">bravo<", ">charlie<"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.b.get("/ui/clusters?" + tt.query)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(p.body, a) {
					t.Errorf("page shows %q", a)
				}
			}
			last := -1
			for _, o := range tt.order {
				i := strings.Index(p.body, o)
				if i < 0 || i < last {
					t.Errorf("order: %q at %d after %d", o, i, last)
				}
				last = i
			}
			if len(p.body) > viewBudget {
				t.Errorf("page weight %d > %d", len(p.body), viewBudget)
			}
		})
	}
}

func TestClusterPage(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	cur, _ := catalogs(t)
	azure, _ := cur.Lookup("AzureCloud")
	admin, teamA := e.browser(t), e.browser(t)
	admin.signInAdmin()
	teamA.signInTeamA()
	alpha := "/ui/clusters/" + subA + "/rg-a/alpha"
	p := admin.get(alpha)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	for _, w := range []string{
		"AzureCloud", "changeNumber " + strconv.FormatInt(azure.ChangeNumber, 10), group(len(azure.Prefixes)),
		"20.20.20.20/32", "198.51.100.7/32", "https://127.0.0.1:8443", "alpha-", "<svg", `role="img"`,
		"No refusals recorded", `name="ranges"`, `name="csrf"`,
	} {
		if !strings.Contains(p.body, w) {
			t.Errorf("cluster page lacks %q", w)
		}
	}
	if len(p.body) > viewBudget {
		t.Errorf("page weight %d", len(p.body))
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Cache-Control"} {
		if p.header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	// A principal of subA: its cluster yes; subB's is "not found", like a missing one.
	if p := teamA.get(alpha); p.status != http.StatusOK {
		t.Errorf("team-a own cluster: %d", p.status)
	}
	for _, path := range []string{"/ui/clusters/" + subB + "/rg-b/bravo", "/ui/clusters/" + subA + "/rg-a/missing"} {
		p := teamA.get(path)
		if p.status != http.StatusNotFound || strings.Contains(p.body, "8.8.4") {
			t.Errorf("%s: %d\n%s", path, p.status, p.body)
		}
	}
}

func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestRefusalsOnClusterPage(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	b := e.browser(t)
	b.signInAdmin()
	route := clusterPath(subA, "rg-a", "alpha")
	now := time.Now()
	for range 3 {
		e.rec.Record(route, netip.MustParseAddr("20.20.20.20"), true, "authorized", now)
	}
	e.rec.Record(route, netip.MustParseAddr("192.0.2.45"), false, "not-authorized", now)
	p := b.get("/ui/clusters/" + subA + "/rg-a/alpha")
	for _, w := range []string{"192.0.2.45", "not-authorized", `class="bar"`, `3 admitted, <strong id="refused-total">1</strong> refused`} {
		if !strings.Contains(p.body, w) {
			t.Errorf("cluster page lacks %q", w)
		}
	}
	if p := b.get("/ui/clusters?sort=refused&dir=desc"); !strings.Contains(p.body, "<strong>1</strong>") {
		t.Errorf("clusters table does not count the refusal")
	}
	// Refusals before routing: an admin sees them, a principal of one
	// subscription does not (they may aim at another subscription).
	e.rec.Record(console.Unrouted, netip.MustParseAddr("192.0.2.99"), false, "not-authorized", now)
	if p := b.get("/ui/clusters"); !strings.Contains(p.body, "Refused before routing") || !strings.Contains(p.body, "192.0.2.99") {
		t.Errorf("admin does not see the unrouted refusal")
	}
	teamA := e.browser(t)
	teamA.signInTeamA()
	if p := teamA.get("/ui/clusters"); strings.Contains(p.body, "192.0.2.99") || strings.Contains(p.body, "Refused before routing") {
		t.Errorf("principal of one subscription sees unrouted refusals")
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signInAdmin()
	p := b.get("/ui/clusters")
	if r := b.post("/ui/signout", url.Values{}); r.status != http.StatusForbidden {
		t.Fatalf("sign-out without csrf: %d", r.status)
	}
	if r := b.post("/ui/signout", url.Values{"csrf": {p.csrf(t)}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.status)
	}
	if r := b.get("/ui/clusters"); r.status != http.StatusSeeOther {
		t.Fatalf("clusters after sign-out: %d", r.status)
	}
}

func TestDeletedPrincipalLosesSession(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	b := e.browser(t)
	b.signInTeamA()
	if p := b.get("/ui/clusters"); p.status != http.StatusOK {
		t.Fatalf("clusters: %d", p.status)
	}
	if err := e.authn.DeletePrincipal(context.Background(), e.spA[0]); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/ui/clusters"); p.status != http.StatusSeeOther {
		t.Fatalf("clusters after the principal was deleted: %d", p.status)
	}
}

// TestSignInThrottle: after 5 failures from one address, sign-in answers
// 429 without checking the credentials, the right ones included.
func TestSignInThrottle(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for i := range 5 {
		if p := b.signIn("token", "wrong-token"); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, p.status)
		}
	}
	if p := b.signIn("token", adminToken); p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d\n%s", p.status, p.body)
	}
}

// TestSessionsSharedByReplicas: two consoles over one store (two serve
// replicas behind a balancer): a session begun on one is live on the
// other, and signing out on the other ends it on both.
func TestSessionsSharedByReplicas(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signInAdmin()
	get := func(base, path string) page {
		t.Helper()
		resp, err := b.c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	// The jar sends 127.0.0.1's cookie to both ports, as a browser sends a
	// balancer's to whichever replica answers.
	p := get(e.srv2.URL, "/ui/clusters")
	if p.status != http.StatusOK {
		t.Fatalf("the other replica: %d, want the page (%s)", p.status, p.header.Get("Location"))
	}
	u, _ := url.Parse(e.srv.URL + "/ui/")
	var stolen *http.Cookie
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "tagwall_session" {
			stolen = c
		}
	}
	if stolen == nil {
		t.Fatal("no session cookie")
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv2.URL+"/ui/signout", strings.NewReader(url.Values{"csrf": {p.csrf(t)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if out := read(t, resp); out.status != http.StatusSeeOther {
		t.Fatalf("sign-out on the other replica: %d", out.status)
	}
	// The jar dropped the cookie; a copy of it is dead on the first
	// replica too: the session is gone from the shared store.
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/ui/clusters", nil)
	req.AddCookie(&http.Cookie{Name: stolen.Name, Value: stolen.Value})
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if out := read(t, resp); out.status != http.StatusSeeOther {
		t.Fatalf("the signed-out cookie on the first replica: %d, want a redirect to sign-in", out.status)
	}
}
