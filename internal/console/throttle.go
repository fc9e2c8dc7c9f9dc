package console

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed sign-in throttle: per remote address, a burst of
// signInBurst failures, then one every signInEvery.
const (
	signInBurst      = 5
	signInEvery      = 10 * time.Second
	maxThrottledAddr = 4096
)

// throttle limits failed sign-ins per remote address. Its table is
// bounded: when full it starts afresh (an attacker who fills it with
// addresses only resets the budget of others to a full burst).
type throttle struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newThrottle() *throttle { return &throttle{m: map[string]*rate.Limiter{}} }

func remoteHost(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

// blocked reports whether addr has used up its failures at now.
func (t *throttle) blocked(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[remoteHost(addr)]
	return l != nil && l.TokensAt(now) < 1
}

// fail spends one failure of addr at now.
func (t *throttle) fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := remoteHost(addr)
	l := t.m[h]
	if l == nil {
		if len(t.m) >= maxThrottledAddr {
			t.m = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(rate.Every(signInEvery), signInBurst)
		t.m[h] = l
	}
	l.AllowN(now, 1)
}
