// Package memstore is an in-memory store.Store for tests of the control
// plane: every write is kept in an event log so Watch can resume from any
// revision (nothing is ever compacted unless Compact is called). It is safe
// for concurrent use and not meant for production.
package memstore

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/store"
)

// Store is an in-memory store.Store. Use New.
type Store struct {
	mu        sync.Mutex
	rev       int64
	kv        map[string]store.KV
	log       []store.Event // log[i] has revision compacted+i+1
	compacted int64
	changed   chan struct{}
	closed    bool
}

// New returns an empty Store.
func New() *Store {
	return &Store{kv: map[string]store.KV{}, changed: make(chan struct{})}
}

func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return store.ErrClosed
	}
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return store.KV{}, err
	}
	kv, ok := s.kv[key]
	if !ok {
		return store.KV{}, store.ErrNotFound
	}
	kv.Value = append([]byte(nil), kv.Value...)
	return kv, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	var out []store.KV
	for k, kv := range s.kv {
		if strings.HasPrefix(k, prefix) {
			kv.Value = append([]byte(nil), kv.Value...)
			out = append(out, kv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, s.rev, nil
}

// write applies one change; s.mu is held.
func (s *Store) write(typ store.EventType, key string, value []byte) int64 {
	s.rev++
	var kv store.KV
	if typ == store.EventPut {
		old, ok := s.kv[key]
		kv = store.KV{Key: key, Value: append([]byte(nil), value...), CreateRevision: s.rev, ModRevision: s.rev}
		if ok {
			kv.CreateRevision = old.CreateRevision
		}
		s.kv[key] = kv
	} else {
		kv = store.KV{Key: key, ModRevision: s.rev}
		delete(s.kv, key)
	}
	s.log = append(s.log, store.Event{Type: typ, KV: kv})
	close(s.changed)
	s.changed = make(chan struct{})
	return s.rev
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if _, ok := s.kv[key]; ok {
		return 0, store.ErrExists
	}
	return s.write(store.EventPut, key, value), nil
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, key string, value []byte, ifRev int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	kv, ok := s.kv[key]
	if !ok {
		return 0, store.ErrNotFound
	}
	if ifRev != 0 && kv.ModRevision != ifRev {
		return 0, store.ErrConflict
	}
	return s.write(store.EventPut, key, value), nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, value []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	return s.write(store.EventPut, key, value), nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string, ifRev int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	kv, ok := s.kv[key]
	if !ok {
		return 0, store.ErrNotFound
	}
	if ifRev != 0 && kv.ModRevision != ifRev {
		return 0, store.ErrConflict
	}
	return s.write(store.EventDelete, key, nil), nil
}

// Compact drops the event log up to the current revision: a Watch from an
// older revision then fails with store.ErrCompacted.
func (s *Store) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted = s.rev
	s.log = nil
}

// Watch implements store.Store.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	s.mu.Lock()
	if err := s.check(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if fromRev < s.compacted {
		s.mu.Unlock()
		return nil, store.ErrCompacted
	}
	s.mu.Unlock()
	ch := make(chan store.Event, 64)
	go func() {
		defer close(ch)
		next := fromRev + 1
		for {
			s.mu.Lock()
			if s.closed || next <= s.compacted {
				s.mu.Unlock()
				return
			}
			var batch []store.Event
			for i := next - s.compacted - 1; i < int64(len(s.log)); i++ {
				if strings.HasPrefix(s.log[i].KV.Key, prefix) {
					ev := s.log[i]
					ev.KV.Value = append([]byte(nil), ev.KV.Value...)
					batch = append(batch, ev)
				}
			}
			next = s.rev + 1
			wait := s.changed
			s.mu.Unlock()
			for _, ev := range batch {
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev, s.check(ctx)
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return nil
}

var _ store.Store = (*Store)(nil)
