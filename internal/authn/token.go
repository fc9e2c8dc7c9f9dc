package authn

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/tagwall/tagwall/internal/arm"
)

// Claims are the claims of a tagwall access token. az reads none of them
// for a service principal; tagwall reads AppID, the audience, the issuer
// and the times.
type Claims struct {
	jwt.RegisteredClaims
	AppID    string `json:"appid"`
	ObjectID string `json:"oid"`
	TenantID string `json:"tid"`
	Version  string `json:"ver"`
}

// Issuer is the token issuer for base ("https://host:port"): base + "/adfs".
func Issuer(base string) string { return strings.TrimRight(base, "/") + "/adfs" }

// LoginEndpoint is the login endpoint /metadata/endpoints gives az for
// base: base + "/adfs/tenants". az 2.45 appends the tenant to it
// (azure-cli core/auth/identity.py _get_authority_url: only an endpoint
// ending in "adfs" loses the tenant), so every discovery request names the
// tenant and one that is not this service's is refused (serveADFS).
// msal still takes the authority for ADFS, because the first path segment
// is "adfs" (msal/authority.py: is_adfs), and so skips the instance
// discovery it would otherwise send to login.microsoftonline.com.
func LoginEndpoint(base string) string { return Issuer(base) + "/tenants" }

// Audience is the token audience for base: base + "/", the value
// /metadata/endpoints advertises in authentication.audiences.
func Audience(base string) string { return strings.TrimRight(base, "/") + "/" }

// Issue signs an access token for the service principal clientID, valid
// for the configured lifetime from now, for the API at base. It returns
// the token and its lifetime in seconds.
func (s *Service) Issue(clientID, base string) (string, int, error) {
	return s.issueAt(clientID, base, s.now(), s.cfg.TokenLifetime)
}

func (s *Service) issueAt(clientID, base string, at time.Time, life time.Duration) (string, int, error) {
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer(base), Subject: clientID, Audience: jwt.ClaimStrings{Audience(base)},
			IssuedAt: jwt.NewNumericDate(at), NotBefore: jwt.NewNumericDate(at.Add(-5 * time.Minute)),
			ExpiresAt: jwt.NewNumericDate(at.Add(life)), ID: uuid.NewString(),
		},
		AppID: clientID, ObjectID: clientID, TenantID: s.cfg.Tenant, Version: "1.0",
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = s.key.kid
	signed, err := t.SignedString(s.key.priv)
	if err != nil {
		return "", 0, fmt.Errorf("sign token for %q: %w", clientID, err)
	}
	return signed, int(life / time.Second), nil
}

// IssueAt is Issue with an explicit issue time and lifetime (tests mint
// expired tokens with it).
func (s *Service) IssueAt(clientID, base string, at time.Time, life time.Duration) (string, error) {
	tok, _, err := s.issueAt(clientID, base, at, life)
	return tok, err
}

// verify checks a token's signature, algorithm, issuer, audience and times
// for a request to base, and returns its claims. Errors are *arm.Error
// (401) with ARM's codes.
func (s *Service) verify(raw, base string) (*Claims, error) {
	now := s.now()
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		return &s.key.priv.PublicKey, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(Issuer(base)), jwt.WithAudience(Audience(base)),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case err == nil:
		if c.AppID == "" {
			return nil, arm.ErrInvalidToken
		}
		return &c, nil
	case errors.Is(err, jwt.ErrTokenExpired) && c.ExpiresAt != nil:
		return nil, arm.Errorf(http.StatusUnauthorized, "ExpiredAuthenticationToken",
			"The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			armTime(c.ExpiresAt.Time), armTime(now))
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, arm.Errorf(http.StatusUnauthorized, "InvalidAuthenticationTokenAudience",
			"The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences '%s'.",
			strings.Join(c.Audience, ","), Audience(base))
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, arm.Errorf(http.StatusUnauthorized, "InvalidAuthenticationTokenTenant",
			"The access token is from the wrong issuer '%s'. It must match '%s'.", c.Issuer, Issuer(base))
	default:
		return nil, arm.ErrInvalidToken
	}
}

// armTime formats t the way ARM's token errors do ("1/2/2006 3:04:05 PM").
func armTime(t time.Time) string { return t.UTC().Format("1/2/2006 3:04:05 PM") }

// looksLikeJWT reports whether tok has the three dot-separated parts of a
// compact JWS.
func looksLikeJWT(tok string) bool { return strings.Count(tok, ".") == 2 }
