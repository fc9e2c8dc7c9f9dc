package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store"
)

// Store is a store.Store on etcd. Create it with New.
type Store struct {
	client *clientv3.Client
	prefix string

	done  context.Context // ends at Close
	close context.CancelFunc
}

// New returns a store keeping its keys under prefix (for example
// "/tagwall/"; "" uses the whole keyspace).
func New(client *clientv3.Client, prefix string) *Store {
	done, cancel := context.WithCancel(context.Background())
	return &Store{client: client, prefix: prefix, done: done, close: cancel}
}

// Close ends the store's watches (their channels close) and makes every
// later call return store.ErrClosed. It does not close the client.
func (s *Store) Close() error {
	s.close()
	return nil
}

// check reports ErrClosed after Close and the context's error once it ended.
func (s *Store) check(ctx context.Context) error {
	if s.done.Err() != nil {
		return store.ErrClosed
	}
	return ctx.Err()
}

// mapErr turns the client's errors into the store's: a context error stays
// itself, compaction becomes ErrCompacted, and a call cut short by Close
// becomes ErrClosed.
func (s *Store) mapErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.done.Err() != nil:
		return store.ErrClosed
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("%w: %w", store.ErrCompacted, err)
	}
	return err
}

// Revision returns etcd's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	// Any read carries the revision in its header; this key never exists.
	resp, err := s.client.Get(ctx, s.prefix+"\x00", clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", s.mapErr(ctx, err))
	}
	return resp.Header.Revision, nil
}

// Get returns the key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := s.check(ctx); err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	resp, err := s.client.Get(ctx, s.prefix+key)
	if err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, s.mapErr(ctx, err))
	}
	if len(resp.Kvs) == 0 {
		return store.KV{}, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
	}
	return s.kv(resp.Kvs[0].Key, resp.Kvs[0].Value, resp.Kvs[0].CreateRevision, resp.Kvs[0].ModRevision), nil
}

// List returns every key with the prefix, sorted, and the revision read at.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	resp, err := s.client.Get(ctx, s.prefix+prefix, clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, s.mapErr(ctx, err))
	}
	var kvs []store.KV
	for _, kv := range resp.Kvs {
		kvs = append(kvs, s.kv(kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision))
	}
	return kvs, resp.Header.Revision, nil
}

// Count returns the number of keys with the prefix (etcd's count-only
// range: no key or value crosses the network).
func (s *Store) Count(ctx context.Context, prefix string) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("count %q: %w", prefix, err)
	}
	resp, err := s.client.Get(ctx, s.prefix+prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", prefix, s.mapErr(ctx, err))
	}
	return int(resp.Count), nil
}

// kv copies an etcd key-value out of the response, dropping the namespace.
// The client's protobuf buffers are not shared, but the copy makes the
// store's promise independent of that.
func (s *Store) kv(key, value []byte, create, mod int64) store.KV {
	return store.KV{
		Key:            strings.TrimPrefix(string(key), s.prefix),
		Value:          append([]byte{}, value...),
		CreateRevision: create,
		ModRevision:    mod,
	}
}

var _ store.Store = (*Store)(nil)
