package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Claimer hands out exclusive claims on job names, so that among several
// tagwall replicas exactly one runs a given job (say, the service-tag
// refresh). A claim is an etcd mutex held by a lease-backed session: it is
// released by its owner, or by etcd once the owner's lease expires (the
// process died or lost etcd for ttl).
type Claimer struct {
	client *clientv3.Client
	prefix string
	ttl    int // seconds
}

// NewClaimer returns a Claimer keeping its locks under prefix (for example
// "/tagwall/claims/"). ttl is rounded up to whole seconds, at least 1.
func NewClaimer(client *clientv3.Client, prefix string, ttl time.Duration) *Claimer {
	secs := int((ttl + time.Second - 1) / time.Second)
	return &Claimer{client: client, prefix: prefix, ttl: max(secs, 1)}
}

// Claim is one held claim.
type Claim struct {
	session *concurrency.Session
	mutex   *concurrency.Mutex
	once    sync.Once
}

// Done is closed when the claim is lost: released, or its lease expired
// (the owner must then stop the job).
func (c *Claim) Done() <-chan struct{} { return c.session.Done() }

// Release gives the claim up. It is safe to call more than once.
func (c *Claim) Release() {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.mutex.Unlock(ctx)
		_ = c.session.Close() // revokes the lease
	})
}

// TryClaim takes the claim on name if no one holds it. ok is false, with a
// nil error, when another owner holds it. release gives the claim up.
func (c *Claimer) TryClaim(ctx context.Context, name string) (release func(), ok bool, err error) {
	claim, ok, err := c.TryClaimLease(ctx, name)
	if !ok {
		return nil, false, err
	}
	return claim.Release, true, nil
}

// TryClaimLease is TryClaim returning the Claim itself, whose Done channel
// tells the owner when it lost the claim.
func (c *Claimer) TryClaimLease(ctx context.Context, name string) (*Claim, bool, error) {
	// Grant the lease under ctx so an unreachable etcd cannot block forever.
	lease, err := c.client.Grant(ctx, int64(c.ttl))
	if err != nil {
		return nil, false, fmt.Errorf("claim %q: grant lease: %w", name, err)
	}
	session, err := concurrency.NewSession(c.client, concurrency.WithLease(lease.ID))
	if err != nil {
		return nil, false, fmt.Errorf("claim %q: start session: %w", name, err)
	}
	mutex := concurrency.NewMutex(session, c.prefix+name)
	switch err := mutex.TryLock(ctx); {
	case err == nil:
		return &Claim{session: session, mutex: mutex}, true, nil
	case errors.Is(err, concurrency.ErrLocked):
		_ = session.Close()
		return nil, false, nil
	default:
		_ = session.Close()
		return nil, false, fmt.Errorf("claim %q: %w", name, err)
	}
}

// Lock waits until it holds the lock name (under the Claimer's prefix, in
// "locks/", apart from the claims) or ctx ends, and returns the function
// that releases it. Unlike a claim it waits its turn: it serialises short
// critical sections across replicas (a quota's count-then-create). The
// lock is held by its own lease of the Claimer's TTL, so a replica that
// dies while holding it frees it after at most the TTL.
func (c *Claimer) Lock(ctx context.Context, name string) (unlock func(), err error) {
	lease, err := c.client.Grant(ctx, int64(c.ttl))
	if err != nil {
		return nil, fmt.Errorf("lock %q: grant lease: %w", name, err)
	}
	session, err := concurrency.NewSession(c.client, concurrency.WithLease(lease.ID))
	if err != nil {
		return nil, fmt.Errorf("lock %q: start session: %w", name, err)
	}
	mutex := concurrency.NewMutex(session, c.prefix+"locks/"+name)
	if err := mutex.Lock(ctx); err != nil {
		_ = session.Close()
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	claim := &Claim{session: session, mutex: mutex}
	return claim.Release, nil
}
