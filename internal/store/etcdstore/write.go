package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store"
)

// Create writes a new key; store.ErrExists if it is present.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	k := s.prefix + key
	return s.txn(ctx, "create", key,
		clientv3.Compare(clientv3.CreateRevision(k), "=", 0),
		clientv3.OpPut(k, string(value)),
		func(bool) error { return store.ErrExists })
}

// Update writes an existing key whose ModRevision is ifRev (0: any).
func (s *Store) Update(ctx context.Context, key string, value []byte, ifRev int64) (int64, error) {
	k := s.prefix + key
	return s.txn(ctx, "update", key, condition(k, ifRev), clientv3.OpPut(k, string(value)), failure)
}

// Put writes the key whether or not it exists.
func (s *Store) Put(ctx context.Context, key string, value []byte) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("put %q: %w", key, err)
	}
	resp, err := s.client.Put(ctx, s.prefix+key, string(value))
	if err != nil {
		return 0, fmt.Errorf("put %q: %w", key, s.mapErr(ctx, err))
	}
	return resp.Header.Revision, nil
}

// Delete removes a key whose ModRevision is ifRev (0: any).
func (s *Store) Delete(ctx context.Context, key string, ifRev int64) (int64, error) {
	k := s.prefix + key
	return s.txn(ctx, "delete", key, condition(k, ifRev), clientv3.OpDelete(k), failure)
}

// condition is the compare of Update and Delete: the key exists, at ifRev
// unless ifRev is 0.
func condition(k string, ifRev int64) clientv3.Cmp {
	if ifRev == 0 {
		return clientv3.Compare(clientv3.CreateRevision(k), ">", 0)
	}
	return clientv3.Compare(clientv3.ModRevision(k), "=", ifRev)
}

// failure says why a conditional Update or Delete did not apply: the key
// is absent, or at another revision.
func failure(exists bool) error {
	if exists {
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// txn runs "if cmp then op else get the key" and returns the revision of
// the write, or why(key exists) when cmp failed.
func (s *Store) txn(ctx context.Context, op, key string, cmp clientv3.Cmp, then clientv3.Op, why func(exists bool) error) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	resp, err := s.client.Txn(ctx).If(cmp).Then(then).
		Else(clientv3.OpGet(s.prefix+key, clientv3.WithCountOnly())).Commit()
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, s.mapErr(ctx, err))
	}
	if !resp.Succeeded {
		exists := resp.Responses[0].GetResponseRange().GetCount() > 0
		return 0, fmt.Errorf("%s %q: %w", op, key, why(exists))
	}
	return resp.Header.Revision, nil
}
