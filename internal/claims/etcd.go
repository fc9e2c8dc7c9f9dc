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

	mu     sync.Mutex
	held   map[string]*etcdstore.Claim
	closed atomic.Bool
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
	e.mu.Unlock()
	c, ok, err := e.claimer.TryClaimLease(ctx, name)
	if !ok {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.held[name]; old != nil || e.closed.Load() { // a concurrent Claim won, or Close ran
		go c.Release()
		return old != nil, nil
	}
	e.held[name] = c
	return true, nil
}

// Release gives name up in the background (it never blocks on etcd).
func (e *Etcd) Release(name string) {
	e.mu.Lock()
	c := e.held[name]
	delete(e.held, name)
	e.mu.Unlock()
	if c != nil {
		go c.Release()
	}
}

// Close releases every claim, waiting up to ctx for etcd; a cancelled ctx
// leaves the leases to expire. Claim reports false afterwards.
func (e *Etcd) Close(ctx context.Context) {
	e.closed.Store(true)
	e.mu.Lock()
	held := e.held
	e.held = map[string]*etcdstore.Claim{}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range held {
		wg.Go(c.Release)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

var _ controller.Claims = (*Etcd)(nil)
