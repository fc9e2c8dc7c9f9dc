package claims

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
)

// Etcd is controller.Claims on an etcdstore.Claimer.
type Etcd struct {
	claimer *etcdstore.Claimer

	mu       sync.Mutex
	held     map[string]*etcdstore.Claim
	closed   atomic.Bool
	inflight int           // background releases and claims in progress (mu)
	idle     chan struct{} // closed when inflight drops to 0 (mu; nil: no one waits)
}

// releaseLocked releases c on its own goroutine, counted so that Close can
// wait for it (a WaitGroup cannot: a Release racing Close's Wait would be
// an Add concurrent with Wait at zero). e.mu is held.
func (e *Etcd) releaseLocked(c *etcdstore.Claim) {
	e.inflight++
	go func() {
		c.Release()
		e.mu.Lock()
		defer e.mu.Unlock()
		e.doneLocked()
	}()
}

// doneLocked ends one piece of inflight work (a release, a claim in
// progress) and wakes Close after the last. e.mu is held.
func (e *Etcd) doneLocked() {
	if e.inflight--; e.inflight == 0 && e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
}

// NewEtcd returns claims taken through c.
func NewEtcd(c *etcdstore.Claimer) *Etcd {
	return &Etcd{claimer: c, held: map[string]*etcdstore.Claim{}}
}

// Claim reports whether this replica holds name, taking it when free. After
// Close it reports false.
func (e *Etcd) Claim(ctx context.Context, name string) (bool, error) {
	if e.closed.Load() {
		return false, nil
	}
	e.mu.Lock()
	if c := e.held[name]; c != nil {
		select {
		case <-c.Done(): // the lease ended: another replica may own it now
			delete(e.held, name)
		default:
			e.mu.Unlock()
			return true, nil
		}
	}
	e.inflight++ // a claim in progress: Close waits for it to be kept or released
	e.mu.Unlock()
	c, ok, err := e.claimer.TryClaimLease(ctx, name)
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.doneLocked()
	if !ok {
		return false, err
	}
	if old := e.held[name]; old != nil || e.closed.Load() { // a concurrent Claim won, or Close ran
		e.releaseLocked(c)
		return old != nil, nil
	}
	e.held[name] = c
	return true, nil
}

// Release gives name up in the background (it never blocks on etcd; each
// release takes at most about 5 s against an unreachable etcd, and Close
// waits for those in flight).
func (e *Etcd) Release(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.held[name]; c != nil {
		delete(e.held, name)
		e.releaseLocked(c)
	}
}

// Close releases every claim, and waits, up to ctx, for those Release and
// Claim gave up in the background and for claims in progress (one taken
// after Close began is released at once); a cancelled ctx leaves the
// leases to expire. Claim reports false afterwards.
func (e *Etcd) Close(ctx context.Context) {
	e.closed.Store(true)
	e.mu.Lock()
	for _, c := range e.held {
		e.releaseLocked(c)
	}
	e.held = map[string]*etcdstore.Claim{}
	if e.inflight == 0 {
		e.mu.Unlock()
		return
	}
	if e.idle == nil {
		e.idle = make(chan struct{})
	}
	idle := e.idle
	e.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

var _ controller.Claims = (*Etcd)(nil)
