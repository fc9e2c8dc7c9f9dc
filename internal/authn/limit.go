package authn

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Defaults of FailureLimit.
const (
	DefaultMaxFailures    = 5
	DefaultFailureWindow  = time.Minute
	DefaultLockout        = time.Minute
	DefaultTrackedClients = 10_000
)

// FailureLimit bounds failed client secrets per client id and source at
// the token endpoint: Failures failed secrets within Window lock the
// client id out for Lockout from that source (the client's address; an
// IPv6 client's /64), during which every request for it from there (the
// right secret included) gets 429 with Retry-After and its secret is not
// checked. The same id from another source is not locked out, so a
// stranger who knows a client id cannot lock its owner out (the secrets
// are 256 random bits: the lockout sheds load, it is not what stops
// guessing). A success resets the count. Zero fields take the defaults
// above.
//
// Unknown client ids are counted like known ones (the answers do not tell
// which ids exist), so the table is bounded: at most Clients ids are
// tracked, and beyond that the least recently seen is forgotten. Evicting
// a locked-out id that way takes Clients requests for other ids, so the
// bound costs a guesser far more requests than it saves.
type FailureLimit struct {
	Failures int
	Window   time.Duration
	Lockout  time.Duration
	Clients  int
}

func (l FailureLimit) withDefaults() FailureLimit {
	if l.Failures <= 0 {
		l.Failures = DefaultMaxFailures
	}
	if l.Window <= 0 {
		l.Window = DefaultFailureWindow
	}
	if l.Lockout <= 0 {
		l.Lockout = DefaultLockout
	}
	if l.Clients <= 0 {
		l.Clients = DefaultTrackedClients
	}
	return l
}

// failureLimiter is FailureLimit's table: an LRU of client ids. It is safe
// for concurrent use.
type failureLimiter struct {
	lim FailureLimit

	mu  sync.Mutex
	ids map[string]*list.Element // values *failures
	lru list.List                // front: most recently seen
}

type failures struct {
	key    string
	first  time.Time // start of the current window
	n      int       // failures in the window
	locked time.Time // locked out until
}

func newFailureLimiter(lim FailureLimit) *failureLimiter {
	return &failureLimiter{lim: lim.withDefaults(), ids: map[string]*list.Element{}}
}

// SourceKey is the key of a request's source for limits that count per
// client (the token endpoint's lockout, the console's sign-in throttle):
// for remote (an http.Request's RemoteAddr), the IPv4 address, or the
// IPv6 /64 (one subscriber's usual share, so one client cannot spread its
// attempts over it); the whole remote string when unparsable.
func SourceKey(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return remote
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// limiterKey is the table key of a client id: lower-cased (ids are
// GUIDs, compared case-insensitively), and hashed when longer than a GUID
// could be so that a stranger's 64 KiB id costs 71 bytes.
func limiterKey(clientID string) string {
	k := strings.ToLower(clientID)
	if len(k) <= 64 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// lockedFor returns how long clientID stays locked out at now (0: it is
// not).
func (l *failureLimiter) lockedFor(clientID string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.ids[limiterKey(clientID)]
	if el == nil {
		return 0
	}
	f := el.Value.(*failures)
	if !now.Before(f.locked) {
		return 0
	}
	l.lru.MoveToFront(el)
	return f.locked.Sub(now)
}

// fail records a failed secret for clientID at now and returns the lockout
// it starts (0: none yet).
func (l *failureLimiter) fail(clientID string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := limiterKey(clientID)
	el := l.ids[key]
	if el == nil {
		if l.lru.Len() >= l.lim.Clients {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.ids, old.Value.(*failures).key)
		}
		el = l.lru.PushFront(&failures{key: key, first: now})
		l.ids[key] = el
	}
	l.lru.MoveToFront(el)
	f := el.Value.(*failures)
	if now.Sub(f.first) >= l.lim.Window {
		f.first, f.n = now, 0
	}
	f.n++
	if f.n < l.lim.Failures {
		return 0
	}
	f.first, f.n, f.locked = now, 0, now.Add(l.lim.Lockout)
	return l.lim.Lockout
}

// succeed forgets clientID's failures.
func (l *failureLimiter) succeed(clientID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := limiterKey(clientID)
	if el := l.ids[key]; el != nil {
		l.lru.Remove(el)
		delete(l.ids, key)
	}
}

// tracked returns how many client ids the table holds.
func (l *failureLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
