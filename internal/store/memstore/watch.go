package memstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/store"
)

// Revision returns the current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return s.rev, nil
}

// Close ends every watch and makes later calls return store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.watchers.Wait()
	return nil
}

// Watch streams changes to keys with the prefix after fromRev.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, err)
	}
	if fromRev < s.compacted {
		return nil, fmt.Errorf("watch %q from %d (oldest kept %d): %w", prefix, fromRev, s.compacted, store.ErrCompacted)
	}
	out := make(chan store.Event)
	s.watchers.Add(1)
	go func() {
		defer s.watchers.Done()
		defer close(out)
		s.follow(ctx, prefix, fromRev, out)
	}()
	return out, nil
}

// follow sends one event at a time, re-reading the history under the lock
// for each: slow, and obviously in order and without gaps.
func (s *Store) follow(ctx context.Context, prefix string, rev int64, out chan<- store.Event) {
	for {
		ev, wake, ok := s.next(prefix, rev)
		if !ok {
			return
		}
		if wake != nil {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return
			case <-s.done:
				return
			}
		}
		select {
		case out <- store.Event{Type: ev.Type, KV: clone(ev.KV)}:
			rev = ev.KV.ModRevision
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// next returns the first event after rev under prefix, or, if there is
// none yet, the channel the next write closes. ok is false once the
// history after rev is compacted.
func (s *Store) next(prefix string, rev int64) (ev store.Event, wake <-chan struct{}, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev < s.compacted {
		return ev, nil, false
	}
	for _, e := range s.log[rev-s.compacted:] {
		if strings.HasPrefix(e.KV.Key, prefix) {
			return e, nil, true
		}
	}
	return ev, s.notify, true
}

var _ store.Store = (*Store)(nil)
