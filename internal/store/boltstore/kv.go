package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tagwall/tagwall/internal/store"
)

// Get returns the key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := s.check(ctx); err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	var kv store.KV
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketKV).Get([]byte(key))
		if raw == nil {
			return store.ErrNotFound
		}
		var err error
		kv, err = decodeValue([]byte(key), raw)
		return err
	})
	if err != nil {
		return store.KV{}, fmt.Errorf("get %q: %w", key, mapErr(err))
	}
	return kv, nil
}

// List returns every key with the prefix, sorted, and the revision read at.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	var (
		kvs []store.KV
		rev int64
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		rev = getInt(tx.Bucket(bucketMeta), metaRevision)
		p := []byte(prefix)
		c := tx.Bucket(bucketKV).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			kv, err := decodeValue(k, v)
			if err != nil {
				return err
			}
			kvs = append(kvs, kv)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, mapErr(err))
	}
	return kvs, rev, nil
}

// Count returns the number of keys with the prefix; values are not
// decoded or copied.
func (s *Store) Count(ctx context.Context, prefix string) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("count %q: %w", prefix, err)
	}
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		p := []byte(prefix)
		c := tx.Bucket(bucketKV).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", prefix, mapErr(err))
	}
	return n, nil
}

// Create writes a new key; store.ErrExists if it is present.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	return s.write(ctx, "create", key, value, func(cur *store.KV) error {
		if cur != nil {
			return store.ErrExists
		}
		return nil
	})
}

// Update writes an existing key whose ModRevision is ifRev (0: any).
func (s *Store) Update(ctx context.Context, key string, value []byte, ifRev int64) (int64, error) {
	return s.write(ctx, "update", key, value, func(cur *store.KV) error {
		return condition(cur, ifRev)
	})
}

// Put writes the key whether or not it exists.
func (s *Store) Put(ctx context.Context, key string, value []byte) (int64, error) {
	return s.write(ctx, "put", key, value, func(*store.KV) error { return nil })
}

// Delete removes a key whose ModRevision is ifRev (0: any).
func (s *Store) Delete(ctx context.Context, key string, ifRev int64) (int64, error) {
	return s.write(ctx, "delete", key, nil, func(cur *store.KV) error {
		return condition(cur, ifRev)
	})
}

// condition is the compare half of Update and Delete.
func condition(cur *store.KV, ifRev int64) error {
	switch {
	case cur == nil:
		return store.ErrNotFound
	case ifRev != 0 && cur.ModRevision != ifRev:
		return store.ErrConflict
	}
	return nil
}

// write runs one conditional write in a bbolt transaction: allow sees the
// key's current record (nil if absent) and vetoes with an error; otherwise
// the write takes the next revision, is logged, and watchers are woken
// after the commit.
func (s *Store) write(ctx context.Context, op, key string, value []byte, allow func(*store.KV) error) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if key == "" {
		return 0, fmt.Errorf("%s %q: empty key", op, key)
	}
	var rev int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		kvb, meta := tx.Bucket(bucketKV), tx.Bucket(bucketMeta)
		var cur *store.KV
		if raw := kvb.Get([]byte(key)); raw != nil {
			kv, err := decodeValue([]byte(key), raw)
			if err != nil {
				return err
			}
			cur = &kv
		}
		if err := allow(cur); err != nil {
			return err
		}
		rev = getInt(meta, metaRevision) + 1
		ev := store.Event{Type: store.EventPut, KV: store.KV{Key: key, Value: value, CreateRevision: rev, ModRevision: rev}}
		if op == "delete" {
			ev = store.Event{Type: store.EventDelete, KV: store.KV{Key: key, ModRevision: rev}}
			if err := kvb.Delete([]byte(key)); err != nil {
				return err
			}
		} else {
			if cur != nil {
				ev.KV.CreateRevision = cur.CreateRevision
			}
			if err := kvb.Put([]byte(key), encodeValue(ev.KV.CreateRevision, rev, value)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketLog).Put(revKey(rev), encodeEvent(ev)); err != nil {
			return err
		}
		if err := putInt(meta, metaRevision, rev); err != nil {
			return err
		}
		return s.compact(tx, rev)
	})
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, mapErr(err))
	}
	s.broadcast()
	return rev, nil
}

// compact drops log records older than the retention and moves the
// compaction point: a Watch may start from any revision >= compacted.
func (s *Store) compact(tx *bolt.Tx, rev int64) error {
	meta := tx.Bucket(bucketMeta)
	upTo := rev - s.retention
	if upTo <= getInt(meta, metaCompacted) {
		return nil
	}
	c := tx.Bucket(bucketLog).Cursor()
	end := revKey(upTo)
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return putInt(meta, metaCompacted, upTo)
}
