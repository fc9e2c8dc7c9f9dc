package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tagwall/tagwall/internal/store"
)

// watchBatch is how many log records a watcher reads per transaction.
const watchBatch = 128

// Watch streams changes to keys with the prefix after fromRev. See
// store.Store.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, err)
	}
	var compacted int64
	err := s.db.View(func(tx *bolt.Tx) error {
		compacted = getInt(tx.Bucket(bucketMeta), metaCompacted)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, mapErr(err))
	}
	if fromRev < compacted {
		return nil, fmt.Errorf("watch %q from %d (oldest kept %d): %w", prefix, fromRev, compacted, store.ErrCompacted)
	}
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, store.ErrClosed)
	default:
	}
	s.watchers.Add(1)
	s.mu.Unlock()
	out := make(chan store.Event, 16)
	go func() {
		defer s.watchers.Done()
		defer close(out)
		s.follow(ctx, prefix, fromRev, out)
	}()
	return out, nil
}

// follow sends the log after rev to out until ctx ends, the store closes
// or the log it needs is compacted away.
func (s *Store) follow(ctx context.Context, prefix string, rev int64, out chan<- store.Event) {
	for {
		wake := s.wakeup() // before reading, so no commit slips between
		evs, scanned, ok := s.readLog(prefix, rev)
		if !ok {
			return
		}
		for _, ev := range evs {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			}
		}
		rev = scanned.last
		if scanned.n == watchBatch {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		}
	}
}

type scan struct {
	n    int   // records read
	last int64 // revision of the last record read (or the start)
}

// readLog reads up to watchBatch log records after rev and returns those
// under prefix. ok is false if the records after rev were compacted or the
// log cannot be read.
func (s *Store) readLog(prefix string, rev int64) (evs []store.Event, sc scan, ok bool) {
	sc.last = rev
	err := s.db.View(func(tx *bolt.Tx) error {
		if rev < getInt(tx.Bucket(bucketMeta), metaCompacted) {
			return store.ErrCompacted
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(revKey(rev + 1)); k != nil && sc.n < watchBatch; k, v = c.Next() {
			r := int64FromKey(k)
			ev, match, err := decodeEvent(r, v, prefix)
			if err != nil {
				return err
			}
			sc.n++
			sc.last = r
			if match {
				evs = append(evs, ev)
			}
		}
		return nil
	})
	return evs, sc, err == nil
}

func int64FromKey(k []byte) int64 {
	var n int64
	for _, b := range k {
		n = n<<8 | int64(b)
	}
	return n
}
