package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/authn"
	"github.com/tagwall/tagwall/internal/console"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/testutil"
)

const (
	adminToken = "console-test-admin-token-0123456789"
	subA       = "aaaaaaaa-1111-2222-3333-444444444444"
	subB       = "bbbbbbbb-1111-2222-3333-444444444444"
	mcVersion  = "?api-version=2025-07-01"
)

var (
	catOnce         sync.Once
	catCur, catPrev *servicetag.Catalog
)

// catalogs loads two consecutive real Azure Public documents once.
func catalogs(tb testing.TB) (cur, prev *servicetag.Catalog) {
	tb.Helper()
	load := func(name string) *servicetag.Catalog {
		p := testutil.ServiceTags(tb, name)
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := servicetag.Parse(p, data)
		if err != nil {
			tb.Fatal(err)
		}
		return servicetag.NewCatalog(doc)
	}
	catOnce.Do(func() {
		catCur, catPrev = load(testutil.PublicTags), load("azure-public-2025-10-06.json")
	})
	if catCur == nil {
		tb.Fatal("service tags not loaded")
	}
	return catCur, catPrev
}

// tagSource is a TagSource over fixed catalogs.
type tagSource struct{ cur, prev *servicetag.Catalog }

func (t tagSource) Catalog() *servicetag.Catalog  { return t.cur }
func (t tagSource) Previous() *servicetag.Catalog { return t.prev }
func (t tagSource) Status() []console.SourceStatus {
	return []console.SourceStatus{{Source: "file:azure-public.json", Origin: "live", InForce: "AzureCloud 2025-10-13",
		Cloud: "Public", ChangeNumber: t.cur.Document().ChangeNumber, Tags: t.cur.Len(),
		LastFetch: time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC), NextFetch: time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC),
		Held: "changeNumber 999: AzureCloud shrank by 60%"}}
}

// env is the API (authn in front), the controller and the console, served
// together over TLS as `tagwall serve` serves them.
type env struct {
	srv    *httptest.Server
	srv2   *httptest.Server // a second replica: its own console, the same store
	authn  *authn.Service
	rec    *console.Recorder
	routes atomic.Pointer[map[string]console.Route]
	spA    [2]string // client id, secret of a principal of subA only
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := memstore.New()
	cur, prev := catalogs(t)
	svc, err := authn.New(authn.Config{Store: st, KeyFile: filepath.Join(t.TempDir(), "token.key"), Tenant: "tenant-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []string{subA, subB} {
		if err := svc.EnsureSubscription(ctx, s, ""); err != nil {
			t.Fatal(err)
		}
	}
	sp, secret, err := svc.CreatePrincipal(ctx, authn.PrincipalSpec{DisplayName: "team-a", Subscriptions: []string{subA}})
	if err != nil {
		t.Fatal(err)
	}
	auth := svc.Authenticator(api.StaticToken{Token: adminToken})
	h, err := api.New(api.Config{Store: st, Catalog: func() *servicetag.Catalog { return cur }, Auth: auth,
		FeatureDelay: -1, SubscriptionSource: svc.APISubscriptions})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{authn: svc, rec: console.NewRecorder(console.RecorderConfig{}), spA: [2]string{sp.ClientID, secret}}
	empty := map[string]console.Route{}
	e.routes.Store(&empty)
	ctrl, err := controller.New(controller.Config{Store: st, Catalog: func() *servicetag.Catalog { return cur },
		SystemRanges: []netip.Prefix{netip.MustParsePrefix("198.51.100.7/32")},
		Apply: func(rs []controller.Route) {
			m := make(map[string]console.Route, len(rs))
			for _, r := range rs {
				m[strings.ToLower(r.ClusterID)] = console.Route{Name: r.ClusterID, Allow: r.Allow}
			}
			e.routes.Store(&m)
		}})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ctrl.Run(cctx) }()
	t.Cleanup(func() { cancel(); <-done })
	apiH := svc.Wrap(h, auth)
	backend := &console.APIBackend{Handler: apiH, Authenticate: auth.Authenticate}
	replica := func() *httptest.Server {
		ui, err := console.New(console.Config{Title: "tagwall serve", Auth: backend, Lists: backend, ServicePrincipals: true,
			Clusters: &console.StoreClusters{Store: st, Route: func(id string) (console.Route, bool) {
				r, ok := (*e.routes.Load())[strings.ToLower(id)]
				return r, ok
			},
				Server: func() string { return "https://127.0.0.1:8443" }, SystemRanges: []string{"198.51.100.7/32"}},
			Tags: tagSource{cur, prev}, Recorder: e.rec, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/ui/", ui)
		mux.Handle("/", apiH)
		srv := httptest.NewTLSServer(mux)
		t.Cleanup(srv.Close)
		return srv
	}
	e.srv, e.srv2 = replica(), replica()
	return e
}

// api sends an ARM request with the admin token and fails on a status
// other than want.
func (e *env) api(t *testing.T, method, path, body string, want ...int) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
}

func clusterPath(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/managedClusters/" + name
}

// createCluster creates rg and a cluster with ranges in sub (enabling the
// service-tag feature first) and waits until the controller routed it.
func (e *env) createCluster(t *testing.T, sub, rg, name string, ranges ...string) {
	t.Helper()
	e.api(t, http.MethodPut, "/subscriptions/"+sub+"/resourceGroups/"+rg+"?api-version=2021-04-01", `{"location":"eastus"}`, 200, 201)
	e.api(t, http.MethodPost, "/subscriptions/"+sub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableServiceTagAuthorizedIPPreview/register?api-version=2021-07-01", "", 200)
	time.Sleep(2 * time.Millisecond)
	e.api(t, http.MethodPost, "/subscriptions/"+sub+"/providers/Microsoft.ContainerService/register?api-version=2021-04-01", "", 200)
	body, _ := json.Marshal(map[string]any{"location": "eastus", "properties": map[string]any{
		"dnsPrefix": name, "apiServerAccessProfile": map[string]any{"authorizedIPRanges": ranges},
		"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "count": 1, "vmSize": "Standard_DS2_v2", "mode": "System"}},
	}})
	e.api(t, http.MethodPut, clusterPath(sub, rg, name)+mcVersion, string(body), 200, 201)
	e.waitRouted(t, sub, rg, name, len(ranges) > 0)
}

// waitRouted waits until the controller applied a route for the cluster.
func (e *env) waitRouted(t *testing.T, sub, rg, name string, _ bool) {
	t.Helper()
	id := strings.ToLower(clusterPath(sub, rg, name))
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, ok := (*e.routes.Load())[id]; ok {
			return
		}
	}
	t.Fatalf("cluster %s was not routed", id)
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	jar http.CookieJar
}

func (e *env) browser(t *testing.T) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, e: e, c: &c, jar: jar}
}

// page is one answer.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *browser) post(path string, form url.Values, hdr ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first CSRF token of a page.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs in with form fields (token, or client_id + client_secret)
// and returns the answer to the POST.
func (b *browser) signIn(fields ...string) page {
	b.t.Helper()
	p := b.get("/ui/signin")
	form := url.Values{"csrf": {p.csrf(b.t)}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.post("/ui/signin", form)
}

func (b *browser) signInAdmin() {
	b.t.Helper()
	if p := b.signIn("token", adminToken); p.status != http.StatusSeeOther {
		b.t.Fatalf("admin sign-in: %d\n%s", p.status, p.body)
	}
}

func (b *browser) signInTeamA() {
	b.t.Helper()
	if p := b.signIn("client_id", b.e.spA[0], "client_secret", b.e.spA[1]); p.status != http.StatusSeeOther {
		b.t.Fatalf("service principal sign-in: %d\n%s", p.status, p.body)
	}
}
