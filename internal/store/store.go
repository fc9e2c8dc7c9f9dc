package store

import (
	"context"
	"errors"
)

// Errors returned by every Store. Callers branch on them with errors.Is.
var (
	// ErrNotFound is returned when a key does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrExists is returned by Create when the key already exists.
	ErrExists = errors.New("store: key already exists")
	// ErrConflict is returned when a write's expected revision does not
	// match the key's current revision.
	ErrConflict = errors.New("store: revision conflict")
	// ErrCompacted is returned by Watch when the requested revision is no
	// longer available; the caller must List again and watch from there.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store: closed")
)

// KV is one key with its value and revisions.
type KV struct {
	Key            string
	Value          []byte
	CreateRevision int64 // the store revision that created the key
	ModRevision    int64 // the store revision of the last write to the key
}

// EventType says what happened to a key.
type EventType int

const (
	EventPut EventType = iota + 1
	EventDelete
)

// Event is one change seen by a Watch. For EventDelete, KV.Value is nil,
// KV.CreateRevision is 0 and KV.ModRevision is the revision of the delete.
type Event struct {
	Type EventType
	KV   KV
}

// Store is a revisioned key-value store. Keys are slash-separated strings.
// All methods are safe for concurrent use.
//
// Revisions are store-wide: every successful write gets one greater than
// every earlier one, and a rejected write gets none. They need not be
// contiguous (an etcd shared with other installs advances them too). Values
// passed in and returned are copies: callers may keep and modify them.
// Methods check ctx first and return ctx.Err() (wrapped) when it has ended;
// after Close they return ErrClosed.
type Store interface {
	// Get returns the key, or ErrNotFound.
	Get(ctx context.Context, key string) (KV, error)
	// List returns every key with the prefix, sorted by key, and the store
	// revision the listing was read at.
	List(ctx context.Context, prefix string) ([]KV, int64, error)
	// Count returns the number of keys with the prefix, without reading
	// their values (a quota check costs no copy of the records).
	Count(ctx context.Context, prefix string) (int, error)
	// Create writes a new key; ErrExists if it is present.
	Create(ctx context.Context, key string, value []byte) (rev int64, err error)
	// Update writes an existing key whose ModRevision equals ifRev
	// (ErrConflict otherwise; ErrNotFound if absent). ifRev 0 skips the check.
	Update(ctx context.Context, key string, value []byte, ifRev int64) (rev int64, err error)
	// Put writes the key whether or not it exists.
	Put(ctx context.Context, key string, value []byte) (rev int64, err error)
	// Delete removes a key whose ModRevision equals ifRev (0: any).
	// ErrNotFound if absent, ErrConflict on a mismatch.
	Delete(ctx context.Context, key string, ifRev int64) (rev int64, err error)
	// Watch streams every change to keys with the prefix made after
	// revision fromRev, in revision order, until ctx ends (the channel is then
	// closed). ErrCompacted if fromRev is older than the store keeps. The
	// usual pattern is List, then Watch from List's revision. fromRev is
	// taken literally: 0 asks for the whole history.
	//
	// The channel may also close while ctx is live: on Close, or when the
	// watcher fell so far behind that the history it needs was compacted.
	// The caller then watches again from the last revision it received
	// (and on ErrCompacted lists again). A watcher that stops reading never
	// blocks writers.
	Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error)
	// Revision returns the store's current revision.
	Revision(ctx context.Context) (int64, error)
	// Close releases the store.
	Close() error
}
