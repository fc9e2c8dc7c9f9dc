package authn

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	subA       = "aaaaaaaa-0000-0000-0000-000000000001"
	subB       = "bbbbbbbb-0000-0000-0000-000000000002"
	adminTok   = "admin-token-for-tests"
)

// fixture is a Service over a memstore with two subscriptions, the admin
// principal and one principal scoped to subB, served over TLS in front of
// an "ARM" handler that echoes the authenticated principal.
type fixture struct {
	svc           *Service
	srv           *httptest.Server
	base          string
	adminID       string
	adminSecret   string
	scoped        ServicePrincipal
	scopedSecret  string
	now           time.Time
	client        *http.Client
	authenticator api.Authenticator
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	svc, err := New(Config{Store: memstore.New(), KeyFile: filepath.Join(tb.TempDir(), "pki", "token.key"),
		Tenant: testTenant, Now: func() time.Time { return f.now }})
	if err != nil {
		tb.Fatal(err)
	}
	f.svc = svc
	ctx := context.Background()
	for _, id := range []string{subA, subB} {
		if err := svc.EnsureSubscription(ctx, id, ""); err != nil {
			tb.Fatal(err)
		}
	}
	f.adminID, f.adminSecret = DeriveAdmin(adminTok)
	if err := svc.EnsureAdmin(ctx, f.adminID, f.adminSecret); err != nil {
		tb.Fatal(err)
	}
	f.scoped, f.scopedSecret, err = svc.CreatePrincipal(ctx, PrincipalSpec{DisplayName: "ci", Subscriptions: []string{subB}})
	if err != nil {
		tb.Fatal(err)
	}
	f.authenticator = svc.Authenticator(api.StaticToken{Token: adminTok})
	arm := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := f.authenticator.Authenticate(r)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	f.srv = httptest.NewTLSServer(svc.Wrap(arm, f.authenticator))
	tb.Cleanup(f.srv.Close)
	f.client = f.srv.Client()
	f.base = f.srv.URL
	return f
}

func writeErr(w http.ResponseWriter, r *http.Request, err error) { arm.WriteError(w, r, nil, err) }

func (f *fixture) do(tb testing.TB, method, path, auth string, body io.Reader, ctype string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, f.base+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// tokenRequest posts a client-credentials form the way msal does.
func (f *fixture) tokenRequest(tb testing.TB, path string, form url.Values) (int, map[string]any) {
	tb.Helper()
	return f.do(tb, http.MethodPost, path, "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func msalForm(id, secret, scope string) url.Values {
	return url.Values{"client_id": {id}, "client_secret": {secret}, "grant_type": {"client_credentials"},
		"client_info": {"1"}, "scope": {scope}, "claims": {`{"access_token": {"xms_cc": {"values": ["CP1"]}}}`}}
}

func TestOpenIDConfiguration(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/adfs/.well-known/openid-configuration", "/adfs/adfs/.well-known/openid-configuration",
		"/ADFS/" + testTenant + "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			code, m := f.do(t, http.MethodGet, path, "", nil, "")
			if code != 200 {
				t.Fatalf("status %d %v", code, m)
			}
			if m["issuer"] != f.base+"/adfs" || m["token_endpoint"] != f.base+"/adfs/oauth2/token" ||
				m["authorization_endpoint"] != f.base+"/adfs/oauth2/authorize" {
				t.Errorf("document %v", m)
			}
		})
	}
	if code, m := f.do(t, http.MethodGet, "/adfs/other/.well-known/openid-configuration", "", nil, ""); code != 400 || m["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: %d %v, want 400 invalid_tenant", code, m)
	}
	code, m := f.do(t, http.MethodGet, "/adfs/discovery/keys", "", nil, "")
	keys, _ := m["keys"].([]any)
	if code != 200 || len(keys) != 1 {
		t.Errorf("keys: %d %v", code, m)
	}
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	scope := f.base + "//.default"
	tests := []struct {
		name     string
		form     url.Values
		wantCode int
		wantErr  string // OAuth error code; "" = a token
	}{
		{name: "admin as msal sends it", form: msalForm(f.adminID, f.adminSecret, scope), wantCode: 200},
		{name: "scoped principal", form: msalForm(f.scoped.ClientID, f.scopedSecret, scope), wantCode: 200},
		{name: "adfs resource parameter", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {f.adminID},
			"client_secret": {f.adminSecret}, "resource": {f.base + "/"}}, wantCode: 200},
		{name: "bad secret", form: msalForm(f.adminID, f.adminSecret+"x", scope), wantCode: 401, wantErr: "invalid_client"},
		{name: "unknown client", form: msalForm("00000000-0000-0000-0000-00000000dead", f.adminSecret, scope), wantCode: 401, wantErr: "invalid_client"},
		{name: "no secret", form: msalForm(f.adminID, "", scope), wantCode: 400, wantErr: "invalid_request"},
		{name: "password grant", form: url.Values{"grant_type": {"password"}, "client_id": {f.adminID}}, wantCode: 400, wantErr: "unsupported_grant_type"},
		{name: "another audience", form: msalForm(f.adminID, f.adminSecret, "https://management.azure.com//.default"), wantCode: 400, wantErr: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.tokenRequest(t, "/adfs/oauth2/token", tt.form)
			if code != tt.wantCode {
				t.Fatalf("status %d %v, want %d", code, m, tt.wantCode)
			}
			if tt.wantErr != "" {
				if m["error"] != tt.wantErr {
					t.Errorf("error %v, want %s", m["error"], tt.wantErr)
				}
				return
			}
			if m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) {
				t.Errorf("token answer %v", m)
			}
			tok, _ := m["access_token"].(string)
			if code, p := f.do(t, http.MethodGet, "/subscriptions", tok, nil, ""); code != 200 || p["Name"] == "" {
				t.Errorf("the issued token is refused: %d %v", code, p)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	valid, _, err := f.svc.Issue(f.scoped.ClientID, f.base)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := f.svc.IssueAt(f.scoped.ClientID, f.base, f.now.Add(-2*time.Hour), time.Hour)
	otherAud, _, _ := f.svc.Issue(f.scoped.ClientID, "https://127.0.0.2:1")
	ghost, _, _ := f.svc.Issue("00000000-0000-0000-0000-00000000dead", f.base)
	other := newFixture(t) // another key
	foreign, _, _ := other.svc.Issue(f.scoped.ClientID, f.base)
	tampered := valid[:len(valid)-4] + "AAAA"
	tests := []struct {
		name, token string
		wantCode    int
		wantErr     string // ARM code; "" = accepted
		wantAll     bool
	}{
		{name: "static admin token", token: adminTok, wantCode: 200, wantAll: true},
		{name: "issued token", token: valid, wantCode: 200},
		{name: "expired", token: expired, wantCode: 401, wantErr: "ExpiredAuthenticationToken"},
		{name: "wrong audience", token: otherAud, wantCode: 401, wantErr: "InvalidAuthenticationTokenAudience"},
		{name: "unknown principal", token: ghost, wantCode: 401, wantErr: "InvalidAuthenticationToken"},
		{name: "signed by another key", token: foreign, wantCode: 401, wantErr: "InvalidAuthenticationToken"},
		{name: "tampered signature", token: tampered, wantCode: 401, wantErr: "InvalidAuthenticationToken"},
		{name: "wrong static token", token: "nope", wantCode: 401, wantErr: "InvalidAuthenticationToken"},
		{name: "no token", wantCode: 401, wantErr: "AuthenticationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.do(t, http.MethodGet, "/subscriptions", tt.token, nil, "")
			if code != tt.wantCode {
				t.Fatalf("status %d %v, want %d", code, m, tt.wantCode)
			}
			if tt.wantErr != "" {
				e, _ := m["error"].(map[string]any)
				if e["code"] != tt.wantErr {
					t.Errorf("error %v, want code %s", m, tt.wantErr)
				}
				return
			}
			if m["AllSubscriptions"] != tt.wantAll {
				t.Errorf("principal %v, want AllSubscriptions %v", m, tt.wantAll)
			}
		})
	}
	if err := f.svc.DeletePrincipal(context.Background(), f.scoped.ClientID); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.do(t, http.MethodGet, "/subscriptions", valid, nil, ""); code != 401 {
		t.Errorf("a deleted principal's token: status %d, want 401", code)
	}
}

func TestScopedPrincipal(t *testing.T) {
	f := newFixture(t)
	tok, _, _ := f.svc.Issue(f.scoped.ClientID, f.base)
	req := httptest.NewRequest(http.MethodGet, f.base+"/", nil)
	req.TLS = &tls.ConnectionState{}
	req.Host = strings.TrimPrefix(f.base, "https://")
	req.Header.Set("Authorization", "Bearer "+tok)
	p, err := f.authenticator.Authenticate(req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Allows(subA) || !p.Allows(subB) || p.AllSubscriptions {
		t.Errorf("principal %+v: want only %s", p, subB)
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t)
	scopedTok, _, _ := f.svc.Issue(f.scoped.ClientID, f.base)
	adminJWT, _, _ := f.svc.Issue(f.adminID, f.base)
	body := func(s string) io.Reader { return strings.NewReader(s) }
	const js = "application/json"
	code, m := f.do(t, http.MethodPost, "/tagwall/servicePrincipals", adminTok, body(`{"displayName":"x","subscriptions":["`+subA+`"]}`), js)
	if code != 201 || m["password"] == "" || m["appId"] == "" || m["tenant"] != testTenant {
		t.Fatalf("create: %d %v", code, m)
	}
	form := msalForm(m["appId"].(string), m["password"].(string), f.base+"//.default")
	if code, tm := f.tokenRequest(t, "/adfs/oauth2/token", form); code != 200 {
		t.Errorf("the new principal cannot log in: %d %v", code, tm)
	}
	tests := []struct {
		name, method, path, auth, body string
		wantCode                       int
		wantErr                        string
	}{
		{name: "admin jwt lists", method: "GET", path: "/tagwall/servicePrincipals", auth: adminJWT, wantCode: 200},
		{name: "scoped principal is refused", method: "GET", path: "/tagwall/servicePrincipals", auth: scopedTok, wantCode: 403, wantErr: "AuthorizationFailed"},
		{name: "no token", method: "GET", path: "/tagwall/subscriptions", wantCode: 401, wantErr: "AuthenticationFailed"},
		{name: "unknown subscription", method: "POST", path: "/tagwall/servicePrincipals", auth: adminTok, body: `{"subscriptions":["cccccccc-0000-0000-0000-000000000003"]}`, wantCode: 404, wantErr: "SubscriptionNotFound"},
		{name: "no scope", method: "POST", path: "/tagwall/servicePrincipals", auth: adminTok, body: `{}`, wantCode: 400, wantErr: "InvalidRequestContent"},
		{name: "create subscription", method: "POST", path: "/tagwall/subscriptions", auth: adminTok, body: `{"displayName":"dev"}`, wantCode: 201},
		{name: "duplicate subscription", method: "POST", path: "/tagwall/subscriptions", auth: adminTok, body: `{"subscriptionId":"` + subA + `"}`, wantCode: 409, wantErr: "Conflict"},
		{name: "malformed subscription", method: "POST", path: "/tagwall/subscriptions", auth: adminTok, body: `{"subscriptionId":"nope"}`, wantCode: 400, wantErr: "InvalidSubscriptionId"},
		{name: "delete missing principal", method: "DELETE", path: "/tagwall/servicePrincipals/00000000-0000-0000-0000-00000000dead", auth: adminTok, wantCode: 404, wantErr: "NotFound"},
		{name: "delete principal", method: "DELETE", path: "/tagwall/servicePrincipals/" + f.scoped.ClientID, auth: adminTok, wantCode: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader
			if tt.body != "" {
				rd = body(tt.body)
			}
			code, m := f.do(t, tt.method, tt.path, tt.auth, rd, js)
			if code != tt.wantCode {
				t.Fatalf("status %d %v, want %d", code, m, tt.wantCode)
			}
			if tt.wantErr != "" {
				e, _ := m["error"].(map[string]any)
				if e["code"] != tt.wantErr {
					t.Errorf("error %v, want %s", m, tt.wantErr)
				}
			}
		})
	}
	subs, err := f.svc.Subscriptions(context.Background())
	if err != nil || len(subs) != 3 {
		t.Errorf("subscriptions %v %v: want 3", subs, err)
	}
}

func TestSubscriptionsOldestFirst(t *testing.T) {
	f := newFixture(t) // subA and subB at one instant: ties sort by id
	ctx := context.Background()
	f.now = f.now.Add(time.Minute)
	if _, err := f.svc.CreateSubscription(ctx, "00000000-0000-0000-0000-000000000009", "late"); err != nil {
		t.Fatal(err)
	}
	subs, err := f.svc.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.ID)
	}
	if want := []string{subA, subB, "00000000-0000-0000-0000-000000000009"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestSecrets(t *testing.T) {
	id1, s1 := DeriveAdmin("tok")
	id2, s2 := DeriveAdmin("tok")
	id3, s3 := DeriveAdmin("tok2")
	if id1 != id2 || s1 != s2 || id1 == id3 || s1 == s3 || !arm.IsSubscriptionID(id1) {
		t.Errorf("DeriveAdmin: %s %s / %s %s / %s %s", id1, s1, id2, s2, id3, s3)
	}
	salt, sum, err := hashSecret(s1)
	if err != nil {
		t.Fatal(err)
	}
	salt2, sum2, _ := hashSecret(s1)
	if salt == salt2 || sum == sum2 {
		t.Error("two hashes of one secret share a salt")
	}
	if !secretMatches(salt, sum, s1) || secretMatches(salt, sum, s1+"x") || secretMatches(salt2, sum, s1) {
		t.Error("secretMatches")
	}
}

func TestEnsureAdminRehashes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.EnsureAdmin(ctx, f.adminID, "new-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.checkSecret(ctx, f.adminID, f.adminSecret); !errors.Is(err, errBadSecret) {
		t.Errorf("old secret: %v, want errBadSecret", err)
	}
	if _, err := f.svc.checkSecret(ctx, f.adminID, "new-secret"); err != nil {
		t.Errorf("new secret: %v", err)
	}
}

func TestKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	st := memstore.New()
	a, err := New(Config{Store: st, KeyFile: path, Tenant: testTenant})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Store: st, KeyFile: path, Tenant: testTenant})
	if err != nil {
		t.Fatal(err)
	}
	if a.key.kid != b.key.kid {
		t.Error("a restart made a new signing key")
	}
	tok, _, _ := a.Issue("x", "https://h")
	if _, err := b.verify(tok, "https://h"); err != nil {
		t.Errorf("a token from before the restart: %v", err)
	}
}

func TestWantsThisAPI(t *testing.T) {
	const aud = "https://127.0.0.1:8443/"
	tests := []struct {
		name, scope, resource string
		want                  bool
	}{
		{name: "az scope", scope: "https://127.0.0.1:8443//.default", want: true},
		{name: "single slash", scope: "https://127.0.0.1:8443/.default", want: true},
		{name: "among others", scope: "openid https://127.0.0.1:8443//.default", want: true},
		{name: "nothing asked", want: true},
		{name: "resource", resource: "https://127.0.0.1:8443", want: true},
		{name: "other host", scope: "https://127.0.0.1:9443//.default"},
		{name: "no .default", scope: "https://127.0.0.1:8443/"},
		{name: "other resource", resource: "https://graph"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wantsThisAPI(tt.scope, tt.resource, aud); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzVerify checks that verification never panics and never accepts a
// token it did not issue.
func FuzzVerify(f *testing.F) {
	svc, err := New(Config{Store: memstore.New(), KeyFile: filepath.Join(f.TempDir(), "k"), Tenant: testTenant})
	if err != nil {
		f.Fatal(err)
	}
	good, _, _ := svc.Issue("x", "https://h")
	f.Add(good + "x")                                         // trailing garbage
	f.Add("eyJhbGciOiJub25lIn0.eyJhcHBpZCI6IngifQ.")          // alg none
	f.Add("a.b.c")                                            // not base64 JSON
	f.Add(strings.Replace(good, ".", "..", 1))                // extra dot
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJhcHBpZCI6IngifQ.c2lnbmF0") // HS256
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := svc.verify(raw, "https://h")
		if err == nil && raw != good {
			// Only re-encodings of the one good token may pass.
			if c.AppID != "x" {
				t.Fatalf("accepted a forged token %q: %+v", raw, c)
			}
		}
	})
}
