package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
)

// Wrap returns a handler that serves /adfs/… and /tagwall/… (matched
// case-insensitively) and passes every other request to next. auth
// authenticates the /tagwall/… administration calls, which need a
// principal of every subscription.
func (s *Service) Wrap(next http.Handler, auth arm.Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch strings.ToLower(segs[0]) {
		case "adfs":
			s.serveADFS(w, r, segs[1:])
		case "tagwall":
			s.serveAdmin(w, r, segs[1:], auth)
		default:
			if isTenantPath(segs) {
				s.serveTenant(w, r, segs)
				return
			}
			next.ServeHTTP(w, r)
		}
	})
}

// serveADFS answers the ADFS-style endpoints under /adfs. The login
// endpoint's form, tenants/{tenant}/… (LoginEndpoint: az login --tenant T
// asks /adfs/tenants/T/.well-known/openid-configuration), serves this
// service's tenant and refuses any other with Entra ID's AADSTS90002, which
// az prints as Azure's "Unable to get authority configuration for …".
// An optional bare tenant segment ("adfs" or the tenant id) is accepted
// before the rest too, as az's tenant validator asks for
// /adfs/adfs/.well-known/openid-configuration when the login endpoint is
// plain /adfs (a configuration az-env wrote before LoginEndpoint).
func (s *Service) serveADFS(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) >= 2 && strings.EqualFold(segs[0], "tenants") {
		if !s.ownTenant(segs[1]) {
			s.invalidTenant(w, segs[1])
			return
		}
		segs = v1Path(segs[2:]) // an Entra ID client using the login endpoint as its authority host asks v2.0
	} else if len(segs) > 0 && s.ownTenant(segs[0]) {
		segs = segs[1:]
	} else if isTenantPath(segs) {
		s.invalidTenant(w, segs[0]) // az login --tenant <name>: its validator asks /adfs/<name>/.well-known/…
		return
	}
	rest := strings.ToLower(strings.Join(segs, "/"))
	switch {
	case rest == ".well-known/openid-configuration" && isGet(r):
		arm.WriteJSON(w, http.StatusOK, s.openIDConfiguration(arm.BaseURL(r)))
	case rest == "discovery/keys" && isGet(r):
		arm.WriteJSON(w, http.StatusOK, map[string]any{"keys": []any{s.key.jwk()}})
	case rest == "oauth2/token" && r.Method == http.MethodPost:
		s.token(w, r)
	case rest == "oauth2/token":
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "MSIS9921: the token endpoint accepts only POST")
	case rest == "oauth2/authorize" || rest == "oauth2/devicecode":
		oauthError(w, http.StatusBadRequest, "unsupported_response_type",
			"tagwall issues tokens to service principals only (grant_type=client_credentials)")
	default:
		oauthError(w, http.StatusNotFound, "invalid_request", "no such ADFS endpoint: "+r.URL.Path)
	}
}

func isGet(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

func (s *Service) openIDConfiguration(base string) map[string]any {
	iss := Issuer(base)
	return map[string]any{
		"issuer":                                iss,
		"access_token_issuer":                   iss,
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"device_authorization_endpoint":         iss + "/oauth2/devicecode",
		"jwks_uri":                              iss + "/discovery/keys",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"access_token_signing_alg_values":       []string{"ES256"},
		"scopes_supported":                      []string{"openid"},
	}
}

// token is the client-credentials grant (RFC 6749 §4.4): the client
// authenticates with client_id + client_secret in the form or with HTTP
// Basic, and asks for this API (scope "<audience>/.default", or ADFS's
// resource parameter; neither means this API).
func (s *Service) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "MSIS9602: the request body is not a valid form")
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"MSIS9611: the grant type '"+gt+"' is not supported; use client_credentials")
		return
	}
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if id == "" || secret == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "MSIS9609: client_id and client_secret are required")
		return
	}
	base := arm.BaseURL(r)
	if !wantsThisAPI(f.Get("scope"), f.Get("resource"), Audience(base)) {
		if wantsThisAPI(f.Get("scope"), f.Get("resource"), Audience(base)+"graph/") {
			// az ad / az role ask for the Graph audience /metadata/endpoints names.
			oauthError(w, http.StatusBadRequest, "invalid_scope",
				"MSIS9602: tagwall does not implement Microsoft Graph (az ad, az role); supported: tokens for the Azure Resource Manager API at '"+
					Audience(base)+"' (scope '"+Audience(base)+"/.default')")
			return
		}
		oauthError(w, http.StatusBadRequest, "invalid_scope",
			"MSIS9602: the requested scope is not this API; ask for '"+Audience(base)+"/.default'")
		return
	}
	sp, ok := s.checkSecretLimited(w, r, id, secret)
	if !ok {
		return
	}
	tok, life, err := s.Issue(sp.ClientID, base)
	if err != nil {
		s.log.Error("token request", "client_id", id, "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "MSIS9999: the token could not be issued")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	arm.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": life, "resource": Audience(base),
		"scope": Audience(base) + "/.default",
	})
}

// checkSecretLimited checks the client's secret unless the client id is
// locked out (FailureLimit), and answers the request itself when the
// secret is not accepted: 429 with Retry-After while locked out, 401 for
// an unknown client or a wrong secret, 500 when the store fails.
func (s *Service) checkSecretLimited(w http.ResponseWriter, r *http.Request, id, secret string) (ServicePrincipal, bool) {
	key := id + " from " + SourceKey(r.RemoteAddr) // limiterKey hashes a long one
	if wait := s.limiter.lockedFor(key, s.now()); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		lim := s.limiter.lim
		oauthError(w, http.StatusTooManyRequests, "temporarily_unavailable", fmt.Sprintf(
			"AADSTS50053: client '%s' is locked out from this address after %d failed client secrets within %v; retry after %d s",
			id, lim.Failures, lim.Window, secs))
		return ServicePrincipal{}, false
	}
	sp, err := s.checkSecret(r.Context(), id, secret)
	if err == nil {
		s.limiter.succeed(key)
		return sp, true
	}
	if !errors.Is(err, ErrPrincipalNotFound) && !errors.Is(err, errBadSecret) {
		s.log.Error("token request", "client_id", id, "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "MSIS9999: the token could not be issued")
		return ServicePrincipal{}, false
	}
	if lockout := s.limiter.fail(key, s.now()); lockout > 0 {
		s.log.Warn("token endpoint: client id locked out after failed secrets", "client_id", limiterKey(id), "source", SourceKey(r.RemoteAddr),
			"failures", s.limiter.lim.Failures, "lockout", lockout, "remote", r.RemoteAddr)
	}
	oauthError(w, http.StatusUnauthorized, "invalid_client",
		"MSIS9607: The 'client_id' or 'client_secret' is invalid for client '"+id+"'.")
	return ServicePrincipal{}, false
}

// wantsThisAPI reports whether the scope list or resource names the
// audience (trailing slashes ignored), or names nothing.
func wantsThisAPI(scope, resource, audience string) bool {
	want := strings.TrimRight(audience, "/")
	if scope == "" && resource == "" {
		return true
	}
	if resource != "" {
		return strings.EqualFold(strings.TrimRight(resource, "/"), want)
	}
	for _, sc := range strings.Fields(scope) {
		if res, ok := strings.CutSuffix(sc, ".default"); ok && strings.EqualFold(strings.TrimRight(res, "/"), want) {
			return true
		}
	}
	return false
}

// oauthError writes an OAuth 2 error response (RFC 6749 §5.2).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
