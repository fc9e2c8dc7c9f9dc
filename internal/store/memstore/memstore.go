package memstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/store"
)

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu        sync.Mutex
	kvs       map[string]store.KV
	log       []store.Event // events after revision compacted, in order
	rev       int64
	compacted int64
	retention int64         // 0: keep everything
	notify    chan struct{} // closed and replaced after each write
	closed    bool
	done      chan struct{}
	watchers  sync.WaitGroup
}

// Option configures New.
type Option func(*Store)

// WithRetention keeps only the last n revisions of history (n >= 1), so
// tests can exercise store.ErrCompacted.
func WithRetention(n int64) Option { return func(s *Store) { s.retention = max(n, 1) } }

// New returns an empty store at revision 0.
func New(opts ...Option) *Store {
	s := &Store{kvs: map[string]store.KV{}, notify: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	return s
}

func clone(kv store.KV) store.KV {
	if kv.Value != nil {
		kv.Value = append([]byte{}, kv.Value...)
	}
	return kv
}

// check must be called with mu held.
func (s *Store) check(ctx context.Context) error {
	if s.closed {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Get returns the key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	kv, ok := s.kvs[key]
	if !ok {
		return store.KV{}, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
	}
	return clone(kv), nil
}

// List returns every key with the prefix, sorted, and the current revision.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	var out []store.KV
	for k, kv := range s.kvs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, clone(kv))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, s.rev, nil
}

// Count returns the number of keys with the prefix.
func (s *Store) Count(ctx context.Context, prefix string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("count %q: %w", prefix, err)
	}
	n := 0
	for k := range s.kvs {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n, nil
}

// Create writes a new key; store.ErrExists if it is present.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	return s.write(ctx, "create", key, value, func(cur store.KV, ok bool) error {
		if ok {
			return store.ErrExists
		}
		return nil
	})
}

// Update writes an existing key whose ModRevision is ifRev (0: any).
func (s *Store) Update(ctx context.Context, key string, value []byte, ifRev int64) (int64, error) {
	return s.write(ctx, "update", key, value, cas(ifRev))
}

// Put writes the key whether or not it exists.
func (s *Store) Put(ctx context.Context, key string, value []byte) (int64, error) {
	return s.write(ctx, "put", key, value, func(store.KV, bool) error { return nil })
}

// Delete removes a key whose ModRevision is ifRev (0: any).
func (s *Store) Delete(ctx context.Context, key string, ifRev int64) (int64, error) {
	return s.write(ctx, "delete", key, nil, cas(ifRev))
}

func cas(ifRev int64) func(store.KV, bool) error {
	return func(cur store.KV, ok bool) error {
		switch {
		case !ok:
			return store.ErrNotFound
		case ifRev != 0 && cur.ModRevision != ifRev:
			return store.ErrConflict
		}
		return nil
	}
}

func (s *Store) write(ctx context.Context, op, key string, value []byte, allow func(store.KV, bool) error) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	cur, ok := s.kvs[key]
	if err := allow(cur, ok); err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	s.rev++
	ev := store.Event{Type: store.EventDelete, KV: store.KV{Key: key, ModRevision: s.rev}}
	if op == "delete" {
		delete(s.kvs, key)
	} else {
		kv := store.KV{Key: key, Value: append([]byte{}, value...), CreateRevision: s.rev, ModRevision: s.rev}
		if ok {
			kv.CreateRevision = cur.CreateRevision
		}
		s.kvs[key] = kv
		ev = store.Event{Type: store.EventPut, KV: kv}
	}
	s.log = append(s.log, ev) // values are never mutated in place: share
	if s.retention > 0 && s.rev-s.compacted > s.retention {
		drop := s.rev - s.retention - s.compacted
		s.log = append([]store.Event(nil), s.log[drop:]...)
		s.compacted += drop
	}
	close(s.notify)
	s.notify = make(chan struct{})
	return s.rev, nil
}
