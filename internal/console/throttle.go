package console

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tagwall/tagwall/internal/authn"
)

// Failed sign-in throttle: per remote address, a burst of
// signInBurst failures, then one every signInEvery.
const (
	signInBurst      = 5
	signInEvery      = 10 * time.Second
	maxThrottledAddr = 4096
)

// throttle limits failed sign-ins per source (authn.SourceKey: an IPv4
// address or an IPv6 /64). Its table is bounded: when full, the sources
// whose budget has refilled are dropped first (they are throttling no
// one), then one that is not blocked, a blocked one only when every
// source is: filling the table lifts no block and resets no budget
// wholesale.
type throttle struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newThrottle() *throttle { return &throttle{m: map[string]*rate.Limiter{}} }

// blocked reports whether addr has used up its failures at now.
func (t *throttle) blocked(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[authn.SourceKey(addr)]
	return l != nil && l.TokensAt(now) < 1
}

// fail spends one failure of addr at now.
func (t *throttle) fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := authn.SourceKey(addr)
	l := t.m[h]
	if l == nil {
		if len(t.m) >= maxThrottledAddr {
			t.makeRoom(now)
		}
		l = rate.NewLimiter(rate.Every(signInEvery), signInBurst)
		t.m[h] = l
	}
	l.AllowN(now, 1)
}

// makeRoom frees at least one entry of a full table; t.mu is held.
func (t *throttle) makeRoom(now time.Time) {
	for k, l := range t.m {
		if l.TokensAt(now) >= signInBurst {
			delete(t.m, k)
		}
	}
	for _, blockedToo := range []bool{false, true} { // a blocked source goes last
		for k, l := range t.m {
			if len(t.m) < maxThrottledAddr {
				return
			}
			if blockedToo || l.TokensAt(now) >= 1 {
				delete(t.m, k)
			}
		}
	}
}
