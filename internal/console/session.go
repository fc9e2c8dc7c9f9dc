package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Session bounds, with their defaults (Config zero values).
const (
	DefaultSessionTTL  = 8 * time.Hour
	DefaultMaxSessions = 1024
	sessionCookie      = "tagwall_session"
	preCookie          = "tagwall_signin" // sign-in form's CSRF token (before any session)
	preCookieTTL       = 15 * time.Minute
)

// session is one signed-in browser. The bearer never leaves the server.
type session struct {
	principal Principal
	bearer    string
	csrf      string
	expires   time.Time
}

// sessions is a bounded, expiring session store keyed by the SHA-256 of
// the cookie value (a leaked dump of the map holds no usable cookie). At
// the bound, the session closest to expiry is dropped.
type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	max int
	ttl time.Duration
}

func newSessions(max int, ttl time.Duration) *sessions {
	return &sessions{m: map[[32]byte]*session{}, max: max, ttl: ttl}
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create stores a session for g and returns its cookie value.
func (s *sessions) create(g Grant, now time.Time) (string, *session) {
	exp := now.Add(s.ttl)
	if !g.Expires.IsZero() && g.Expires.Before(exp) {
		exp = g.Expires
	}
	id := randomToken()
	ss := &session{principal: g.Principal, bearer: g.Bearer, csrf: randomToken(), expires: exp}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if len(s.m) >= s.max {
		s.evictOldest()
	}
	s.m[sha256.Sum256([]byte(id))] = ss
	return id, ss
}

// get returns the live session of cookie value id.
func (s *sessions) get(id string, now time.Time) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[k]
	if ss == nil {
		return nil
	}
	if !now.Before(ss.expires) {
		delete(s.m, k)
		return nil
	}
	return ss
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(id)))
}

func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// sweep drops expired sessions; s.mu is held.
func (s *sessions) sweep(now time.Time) {
	for k, ss := range s.m {
		if !now.Before(ss.expires) {
			delete(s.m, k)
		}
	}
}

// evictOldest drops the session that expires first; s.mu is held.
func (s *sessions) evictOldest() {
	var oldest [32]byte
	var at time.Time
	for k, ss := range s.m {
		if at.IsZero() || ss.expires.Before(at) {
			oldest, at = k, ss.expires
		}
	}
	delete(s.m, oldest)
}

// cookie is a console cookie: HttpOnly, Secure, SameSite=Strict, scoped to
// the console's path, expiring with the session.
func cookie(name, value, path string, expires, now time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, Expires: expires.UTC()}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(expires.Sub(now).Seconds())
		if c.MaxAge <= 0 {
			c.MaxAge = 1
		}
	}
	return c
}

// sameToken compares two CSRF tokens in constant time (empty never matches).
func sameToken(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
