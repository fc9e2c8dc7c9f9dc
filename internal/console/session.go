package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tagwall/tagwall/internal/store"
)

// Session bounds, with their defaults (Config zero values).
const (
	DefaultSessionTTL  = 8 * time.Hour
	DefaultMaxSessions = 1024
	// MaxSessionsPerPrincipal bounds one principal's sessions: its next
	// sign-in drops its own session closest to expiry, so one principal
	// signing in over and over cannot push everyone else's sessions out.
	MaxSessionsPerPrincipal = 16
	sessionCookie           = "tagwall_session"
	preCookie               = "tagwall_signin" // sign-in form's CSRF token (before any session)
	preCookieTTL            = 15 * time.Minute
)

// session is one signed-in browser. The bearer never leaves the server.
type session struct {
	principal Principal
	bearer    string
	csrf      string
	expires   time.Time
}

// sessions is a bounded, expiring session store keyed by the SHA-256 of
// the cookie value (a leaked dump holds no usable cookie). At the bound,
// the session closest to expiry is dropped. The sessions live in memory,
// or, with a store (Config.Store), in it under SessionsPrefix, so that
// every replica sharing the store knows every session.
type sessions struct {
	max int
	ttl time.Duration
	st  store.Store // nil: in memory
	log *slog.Logger

	mu sync.Mutex // guards m, and serializes create on a store
	m  map[[32]byte]*session
}

// SessionsPrefix is where sessions live in Config.Store: one key per
// session, the hex SHA-256 of its cookie value.
const SessionsPrefix = "console/sessions/"

// storedSession is a session's record in the store.
type storedSession struct {
	Principal Principal `json:"principal"`
	Bearer    string    `json:"bearer"`
	CSRF      string    `json:"csrf"`
	Expires   time.Time `json:"expires"`
}

func newSessions(max int, ttl time.Duration, st store.Store, log *slog.Logger) *sessions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &sessions{m: map[[32]byte]*session{}, max: max, ttl: ttl, st: st, log: log}
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(k [32]byte) string { return SessionsPrefix + hex.EncodeToString(k[:]) }

// create stores a session for g and returns its cookie value. It fails
// only when the store does: no session is then made.
func (s *sessions) create(ctx context.Context, g Grant, now time.Time) (string, *session, error) {
	exp := now.Add(s.ttl)
	if !g.Expires.IsZero() && g.Expires.Before(exp) {
		exp = g.Expires
	}
	id := randomToken()
	ss := &session{principal: g.Principal, bearer: g.Bearer, csrf: randomToken(), expires: exp}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		s.sweep(now)
		if s.count(g.Principal.Name) >= MaxSessionsPerPrincipal {
			s.evictOldest(g.Principal.Name)
		}
		if len(s.m) >= s.max {
			s.evictOldest("")
		}
		s.m[k] = ss
		return id, ss, nil
	}
	if err := s.sweepStore(ctx, now, g.Principal.Name); err != nil {
		return "", nil, err
	}
	b, err := json.Marshal(storedSession{Principal: ss.principal, Bearer: ss.bearer, CSRF: ss.csrf, Expires: ss.expires})
	if err != nil {
		return "", nil, fmt.Errorf("store console session: %w", err)
	}
	if _, err := s.st.Put(ctx, sessionKey(k), b); err != nil {
		return "", nil, fmt.Errorf("store console session: %w", err)
	}
	return id, ss, nil
}

// get returns the live session of cookie value id; nil for none, an
// expired one, or a store that cannot be read (fail closed: the browser
// signs in again).
func (s *sessions) get(ctx context.Context, id string, now time.Time) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	if s.st == nil {
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
	kv, err := s.st.Get(ctx, sessionKey(k))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("read console session", "err", err)
		}
		return nil
	}
	var rec storedSession
	if err := json.Unmarshal(kv.Value, &rec); err != nil {
		s.log.Error("read console session: damaged record deleted", "key", kv.Key, "err", err)
		_, _ = s.st.Delete(ctx, kv.Key, kv.ModRevision)
		return nil
	}
	if !now.Before(rec.Expires) {
		_, _ = s.st.Delete(ctx, kv.Key, kv.ModRevision)
		return nil
	}
	return &session{principal: rec.Principal, bearer: rec.Bearer, csrf: rec.CSRF, expires: rec.Expires}
}

func (s *sessions) delete(ctx context.Context, id string) {
	k := sha256.Sum256([]byte(id))
	if s.st == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.m, k)
		return
	}
	if _, err := s.st.Delete(ctx, sessionKey(k), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("delete console session", "err", err)
	}
}

// len counts the sessions (live or not yet swept).
func (s *sessions) len(ctx context.Context) int {
	if s.st == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.m)
	}
	kvs, _, err := s.st.List(ctx, SessionsPrefix)
	if err != nil {
		return 0
	}
	return len(kvs)
}

// sweep drops expired sessions; s.mu is held.
func (s *sessions) sweep(now time.Time) {
	for k, ss := range s.m {
		if !now.Before(ss.expires) {
			delete(s.m, k)
		}
	}
}

// count is the number of principal's sessions; s.mu is held.
func (s *sessions) count(principal string) int {
	n := 0
	for _, ss := range s.m {
		if ss.principal.Name == principal {
			n++
		}
	}
	return n
}

// evictOldest drops the session that expires first, of principal's when
// it is not ""; s.mu is held.
func (s *sessions) evictOldest(principal string) {
	var oldest [32]byte
	var at time.Time
	for k, ss := range s.m {
		if principal != "" && ss.principal.Name != principal {
			continue
		}
		if at.IsZero() || ss.expires.Before(at) {
			oldest, at = k, ss.expires
		}
	}
	delete(s.m, oldest)
}

// sweepStore deletes the stored sessions that expired (or are damaged)
// and, at the bounds (MaxSessionsPerPrincipal for principal, max in all),
// the ones closest to expiry until one more fits. It
// costs one listing of at most about max records per sign-in (sign-ins
// are throttled). Replicas signing in at the same moment may overshoot
// the bound by one each until the next sign-in's sweep. s.mu is held.
func (s *sessions) sweepStore(ctx context.Context, now time.Time, principal string) error {
	kvs, _, err := s.st.List(ctx, SessionsPrefix)
	if err != nil {
		return fmt.Errorf("list console sessions: %w", err)
	}
	type live struct {
		kv   store.KV
		exp  time.Time
		mine bool // principal's
	}
	var alive []live
	mine := 0
	for _, kv := range kvs {
		var rec storedSession
		if json.Unmarshal(kv.Value, &rec) != nil || !now.Before(rec.Expires) {
			_, _ = s.st.Delete(ctx, kv.Key, kv.ModRevision)
			continue
		}
		l := live{kv, rec.Expires, rec.Principal.Name == principal}
		if l.mine {
			mine++
		}
		alive = append(alive, l)
	}
	slices.SortFunc(alive, func(a, b live) int { return a.exp.Compare(b.exp) })
	drop := func(l live) { _, _ = s.st.Delete(ctx, l.kv.Key, l.kv.ModRevision) }
	for i := 0; mine >= MaxSessionsPerPrincipal && i < len(alive); i++ {
		if alive[i].mine {
			drop(alive[i])
			alive = slices.Delete(alive, i, i+1)
			i--
			mine--
		}
	}
	if over := len(alive) - s.max + 1; over > 0 {
		for _, l := range alive[:over] {
			drop(l)
		}
	}
	return nil
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
