package arm

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Principal is an authenticated caller and the subscriptions it may use.
type Principal struct {
	Name             string
	AllSubscriptions bool     // any well-formed subscription GUID
	Subscriptions    []string // otherwise, only these
}

// Allows reports whether the principal may use subscription sub.
func (p Principal) Allows(sub string) bool {
	if p.AllSubscriptions {
		return true
	}
	for _, s := range p.Subscriptions {
		if strings.EqualFold(s, sub) {
			return true
		}
	}
	return false
}

// Authenticator decides who sent a request. Errors should be *Error with
// status 401 (ErrMissingToken, ErrInvalidToken).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// StaticToken accepts exactly "Authorization: Bearer <Token>" (compared in
// constant time) as an administrator of every subscription. An empty Token
// accepts nothing.
type StaticToken struct{ Token string }

// Authenticate implements Authenticator.
func (s StaticToken) Authenticate(r *http.Request) (Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Principal{}, ErrMissingToken
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	return s.VerifyBearer(tok)
}

// VerifyBearer is Authenticate for a bearer token already taken from its
// header: the administrator of every subscription if tok is Token
// (compared in constant time), else ErrInvalidToken. An empty Token
// accepts nothing.
func (s StaticToken) VerifyBearer(tok string) (Principal, error) {
	if s.Token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.Token)) != 1 {
		return Principal{}, ErrInvalidToken
	}
	return Principal{Name: "admin", AllSubscriptions: true}, nil
}

// Subscription is one entry of GET /subscriptions.
type Subscription struct {
	ID          string
	DisplayName string
	TenantID    string
}

var _ Authenticator = StaticToken{}
