package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tagwall/tagwall/internal/store"
)

// DefaultRetention is how many revisions of the event log Open keeps unless
// WithRetention says otherwise.
const DefaultRetention = 10_000

var (
	bucketMeta = []byte("meta")
	bucketKV   = []byte("kv")
	bucketLog  = []byte("log")

	metaRevision  = []byte("revision")
	metaCompacted = []byte("compacted")
)

type options struct {
	retention   int64
	noSync      bool
	openTimeout time.Duration
	quickAbove  int64
	allowEmpty  bool
}

// Option configures Open.
type Option func(*options)

// WithRetention keeps the last n revisions of the event log (n >= 1).
func WithRetention(n int64) Option {
	return func(o *options) { o.retention = max(n, 1) }
}

// WithNoSync skips the fsync after each commit: faster, but a crash may
// lose the latest writes.
func WithNoSync() Option {
	return func(o *options) { o.noSync = true }
}

// WithOpenTimeout bounds how long Open waits for another process to release
// the file lock (default 1s) before it fails with an *InUseError.
func WithOpenTimeout(d time.Duration) Option {
	return func(o *options) { o.openTimeout = d }
}

// WithQuickCheckAbove makes Open check files larger than n bytes in quick
// mode (default DefaultQuickCheckAbove); n < 0 always checks in full.
func WithQuickCheckAbove(n int64) Option {
	return func(o *options) { o.quickAbove = n }
}

// WithAllowEmpty lets Open turn an existing 0-byte file into a new store
// instead of refusing it as damaged. The caller decides first that an
// empty store loses nothing (see package datadir).
func WithAllowEmpty() Option {
	return func(o *options) { o.allowEmpty = true }
}

// Store is a store.Store in one bbolt file. Create it with Open.
type Store struct {
	db        *bolt.DB
	retention int64

	notes []string // recoverable findings of Open's check

	mu       sync.Mutex    // guards notify and watcher registration
	notify   chan struct{} // closed and replaced after each commit
	closed   chan struct{} // closed by Close
	watchers sync.WaitGroup
	once     sync.Once
}

// Open opens or creates the store file at path. Before bbolt maps an
// existing file, Open locks it and checks it (see Check; quick mode above
// WithQuickCheckAbove), so a damaged file is reported, not crashed on:
//   - a truncated, garbled or 0-byte file (unless WithAllowEmpty), or one
//     that is not a tagwall store, gives a *CorruptError (ErrCorrupt);
//   - a file another process holds gives an *InUseError (ErrInUse) naming
//     it, after WithOpenTimeout (default 1s).
//
// While open, the file "<path>.pid" names this process (removed by Close).
func Open(path string, opts ...Option) (*Store, error) {
	o := options{retention: DefaultRetention, openTimeout: time.Second, quickAbove: DefaultQuickCheckAbove}
	for _, opt := range opts {
		opt(&o)
	}
	rep, err := precheck(path, o)
	if err != nil {
		return nil, err
	}
	db, err := openGuarded(path, &bolt.Options{Timeout: o.openTimeout, NoSync: o.noSync})
	if err != nil {
		return nil, wrapOpen("open store", path, err)
	}
	if err = deepCheck(db, path, rep.Quick, &rep); err != nil {
		_ = db.Close()
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketKV, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: create buckets: %w", path, err)
	}
	writePidFile(path)
	return &Store{
		db:        db,
		retention: o.retention,
		notes:     rep.Notes,
		notify:    make(chan struct{}),
		closed:    make(chan struct{}),
	}, nil
}

// precheck locks an existing file and runs the structural check on it; a
// missing file is left for bbolt to create.
func precheck(path string, o options) (Report, error) {
	lk, err := lockFile(path, true, o.openTimeout)
	if errors.Is(err, fs.ErrNotExist) {
		return Report{Path: path}, nil
	}
	if err != nil {
		return Report{}, wrapOpen("open store", path, err)
	}
	defer lk.release()
	fi, err := lk.f.Stat()
	if err != nil {
		return Report{}, fmt.Errorf("open store %s: %w", path, err)
	}
	quick := o.quickAbove >= 0 && fi.Size() > o.quickAbove
	return verifyLocked(lk.f, path, quick, o.allowEmpty)
}

// Notes returns what Open's check found that did not stop it (an invalid
// spare meta page after a crash); callers log them.
func (s *Store) Notes() []string { return s.notes }

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.db.Path() }

// Close stops every watcher (closing their channels) and closes the file.
// Calling Close again returns nil.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		close(s.closed)
		s.mu.Unlock()
		s.watchers.Wait()
		removePidFile(s.db.Path())
		if cerr := s.db.Close(); cerr != nil {
			err = fmt.Errorf("close store %q: %w", s.db.Path(), cerr)
		}
	})
	return err
}

// Revision returns the store's current revision (0 for a new file).
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	var rev int64
	err := s.db.View(func(tx *bolt.Tx) error {
		rev = getInt(tx.Bucket(bucketMeta), metaRevision)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", mapErr(err))
	}
	return rev, nil
}

// check reports ErrClosed after Close and the context's error once it ended.
func (s *Store) check(ctx context.Context) error {
	select {
	case <-s.closed:
		return store.ErrClosed
	default:
	}
	return ctx.Err()
}

// mapErr turns bbolt's "not open" into store.ErrClosed.
func mapErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

// broadcast wakes every watcher after a commit.
func (s *Store) broadcast() {
	s.mu.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

// wakeup returns the channel the next commit closes.
func (s *Store) wakeup() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notify
}

var _ store.Store = (*Store)(nil)
