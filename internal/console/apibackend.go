package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
)

// DefaultAPIVersion is the managedClusters api-version the console speaks.
const DefaultAPIVersion = "2025-07-01"

// APIBackend is the console's Auth and ListUpdater for `tagwall serve`: it
// calls the server's own HTTP handler in-process, with the session's
// bearer credential, exactly as az would over the network. So a list
// change goes through the API's validation, quotas, subscription scoping
// and audit log, and the console can do nothing its user could not do with
// az. A service principal signs in through the handler's token endpoint
// (/adfs/oauth2/token, client-credentials grant).
type APIBackend struct {
	// Handler serves /adfs/… and the ARM routes (the API handler as served).
	Handler http.Handler
	// Authenticate is the API's own authenticator (the admin token or a
	// token issued by /adfs), adapted to Principal.
	Authenticate func(r *http.Request) (Principal, error)
	// APIVersion of managedClusters calls ("": DefaultAPIVersion).
	APIVersion string
}

// SignIn implements Auth.
func (b *APIBackend) SignIn(ctx context.Context, r *http.Request, c Credentials) (Grant, error) {
	if c.Token != "" {
		p, err := b.Verify(ctx, r, c.Token)
		if err != nil {
			return Grant{}, err
		}
		return Grant{Principal: p, Bearer: c.Token}, nil
	}
	tok, exp, err := b.issue(ctx, r, c.ClientID, c.Secret)
	if err != nil {
		return Grant{}, err
	}
	p, err := b.Verify(ctx, r, tok)
	if err != nil {
		return Grant{}, err
	}
	return Grant{Principal: p, Bearer: tok, Expires: exp}, nil
}

// Verify implements Auth: the API's authenticator judges the bearer as if
// it came on a request to the same host.
func (b *APIBackend) Verify(ctx context.Context, r *http.Request, bearer string) (Principal, error) {
	req := b.inner(ctx, r, http.MethodGet, "/subscriptions", nil, bearer)
	p, err := b.Authenticate(req)
	if err != nil {
		return Principal{}, fmt.Errorf("verify console credential: %w: %w", ErrBadCredentials, err)
	}
	return p, nil
}

// issue asks the token endpoint for a token for clientID.
func (b *APIBackend) issue(ctx context.Context, r *http.Request, clientID, secret string) (string, time.Time, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	req := b.inner(ctx, r, http.MethodPost, "/adfs/oauth2/token", strings.NewReader(form.Encode()), "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := b.do(req)
	if status == http.StatusUnauthorized || status == http.StatusBadRequest {
		return "", time.Time{}, fmt.Errorf("sign in service principal %q: %w", clientID, ErrBadCredentials)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil || out.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("sign in service principal %q: token endpoint answered %d", clientID, status)
	}
	// Expire the session a little before the token, so no request uses a dead one.
	exp := time.Now().Add(time.Duration(out.ExpiresIn)*time.Second - time.Minute)
	return out.AccessToken, exp, nil
}

// SetRanges implements ListUpdater: GET the cluster, replace
// properties.apiServerAccessProfile.authorizedIPRanges, PUT it back with
// If-Match (a concurrent change is a clean 412, not a lost update).
func (b *APIBackend) SetRanges(ctx context.Context, r *http.Request, bearer string, c Ref, ranges []string) error {
	p := "/subscriptions/" + url.PathEscape(c.Subscription) + "/resourceGroups/" + url.PathEscape(c.ResourceGroup) +
		"/providers/Microsoft.ContainerService/managedClusters/" + url.PathEscape(c.Name) + "?api-version=" + b.version()
	status, body := b.do(b.inner(ctx, r, http.MethodGet, p, nil, bearer))
	if status == http.StatusNotFound {
		return fmt.Errorf("set authorized ranges of %s: %w", c, ErrNotFound)
	}
	if status != http.StatusOK {
		return apiError(status, body)
	}
	etag := ""
	var mc map[string]any
	if err := json.Unmarshal(body, &mc); err != nil {
		return fmt.Errorf("set authorized ranges of %s: read cluster: %w", c, err)
	}
	if e, ok := mc["etag"].(string); ok {
		etag = e
	}
	props, _ := mc["properties"].(map[string]any)
	if props == nil {
		return fmt.Errorf("set authorized ranges of %s: cluster has no properties", c)
	}
	access, _ := props["apiServerAccessProfile"].(map[string]any)
	if access == nil {
		access = map[string]any{}
	}
	access["authorizedIPRanges"] = ranges
	props["apiServerAccessProfile"] = access
	out, err := json.Marshal(mc)
	if err != nil {
		return fmt.Errorf("set authorized ranges of %s: %w", c, err)
	}
	req := b.inner(ctx, r, http.MethodPut, p, bytes.NewReader(out), bearer)
	req.Header.Set("Content-Type", "application/json")
	if etag != "" {
		req.Header.Set("If-Match", `"`+strings.Trim(etag, `"`)+`"`)
	}
	status, body = b.do(req)
	if status != http.StatusOK && status != http.StatusCreated {
		return apiError(status, body)
	}
	return nil
}

func (b *APIBackend) version() string {
	if b.APIVersion != "" {
		return url.QueryEscape(b.APIVersion)
	}
	return DefaultAPIVersion
}

// inner builds an in-process request that looks like one to the browser
// request's host (its TLS state and Host make the same base URL, the
// audience of the tokens issued there).
func (b *APIBackend) inner(ctx context.Context, r *http.Request, method, target string, body io.Reader, bearer string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, method, target, body) // target is built here: always valid
	req.Host, req.TLS, req.RemoteAddr = r.Host, r.TLS, r.RemoteAddr
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") == "http" {
		req.Header.Set("X-Forwarded-Proto", "http")
	}
	req.Header.Set("User-Agent", "tagwall-console")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req
}

// do runs req through the handler and returns the status and body.
func (b *APIBackend) do(req *http.Request) (int, []byte) {
	rec := &recorder{h: http.Header{}}
	b.Handler.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes()
}

// recorder is a minimal in-memory http.ResponseWriter.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(p) > 8<<20 {
		return 0, errors.New("console: api response over 8 MiB")
	}
	return r.body.Write(p)
}

// apiError decodes an ARM error envelope.
func apiError(status int, body []byte) error {
	type armErr struct {
		Code, Message string
		Details       []armErr
	}
	var env struct{ Error armErr }
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Message == "" {
		return &APIError{Status: status, Code: http.StatusText(status), Message: "The API answered " + http.StatusText(status) + "."}
	}
	e := &APIError{Status: status, Code: env.Error.Code, Message: env.Error.Message}
	for _, d := range env.Error.Details {
		e.Details = append(e.Details, d.Message)
	}
	return e
}

// StaticToken is the Auth of a console without an identity service (the
// standalone gateway): arm.StaticToken's check (one token, compared in
// constant time, signs in as an administrator of every subscription; an
// empty Token accepts nothing) behind the console's Auth interface.
type StaticToken arm.StaticToken

// SignIn implements Auth.
func (s StaticToken) SignIn(ctx context.Context, r *http.Request, c Credentials) (Grant, error) {
	p, err := s.Verify(ctx, r, c.Token)
	if err != nil {
		return Grant{}, err
	}
	return Grant{Principal: p, Bearer: c.Token}, nil
}

// Verify implements Auth.
func (s StaticToken) Verify(_ context.Context, _ *http.Request, bearer string) (Principal, error) {
	p, err := arm.StaticToken(s).VerifyBearer(bearer)
	if err != nil {
		return Principal{}, fmt.Errorf("verify console token: %w: %w", ErrBadCredentials, err)
	}
	return p, nil
}

var (
	_ Auth        = (*APIBackend)(nil)
	_ ListUpdater = (*APIBackend)(nil)
	_ Auth        = StaticToken{}
)
