package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/store"
)

// Watch streams changes to keys with the prefix after fromRev. See
// store.Store. A compaction detected after Watch returned closes the
// channel; watching again then returns store.ErrCompacted.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, err)
	}
	if err := s.checkCompacted(ctx, fromRev); err != nil {
		return nil, fmt.Errorf("watch %q from %d: %w", prefix, fromRev, err)
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	stop := context.AfterFunc(s.done, cancel)
	out := make(chan store.Event, 16)
	go func() {
		defer close(out)
		defer stop()
		defer cancel()
		s.follow(wctx, prefix, fromRev, out)
	}()
	return out, nil
}

// follow forwards the watch from fromRev and, when etcd ends it for a lost
// leader (a member stopped or an election is under way: WithRequireLeader
// ends a watch that could otherwise hang on a partitioned member), watches
// again from the last revision delivered, so a failover loses and repeats
// no event. It returns on compaction, cancellation or ctx's end, which
// closes the channel.
func (s *Store) follow(ctx context.Context, prefix string, fromRev int64, out chan<- store.Event) {
	last := fromRev
	for {
		wch := s.client.Watch(ctx, s.prefix+prefix, clientv3.WithPrefix(), clientv3.WithRev(last+1))
		var resume bool
		last, resume = s.forward(ctx, wch, out, last)
		if !resume || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkCompacted fails with ErrCompacted if revision fromRev+1 is no longer
// readable. A revision at or past the current one cannot be compacted; it
// is not read (etcd would answer "future revision").
func (s *Store) checkCompacted(ctx context.Context, fromRev int64) error {
	cur, err := s.client.Get(ctx, s.prefix+"\x00", clientv3.WithCountOnly())
	if err != nil {
		return s.mapErr(ctx, err)
	}
	if fromRev >= cur.Header.Revision {
		return nil
	}
	_, err = s.client.Get(ctx, s.prefix+"\x00", clientv3.WithRev(fromRev+1), clientv3.WithCountOnly())
	if err == nil || errors.Is(err, rpctypes.ErrFutureRev) {
		return nil
	}
	return s.mapErr(ctx, err)
}

// forward copies etcd watch responses to out until the watch ends, fails
// or is compacted, and returns the last revision delivered and whether
// the watch may be resumed from it (it ended for a lost leader).
func (s *Store) forward(ctx context.Context, wch clientv3.WatchChan, out chan<- store.Event, last int64) (int64, bool) {
	for resp := range wch {
		if resp.CompactRevision != 0 {
			return last, false
		}
		if err := resp.Err(); err != nil || resp.Canceled {
			return last, errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrGRPCNoLeader)
		}
		for _, ev := range resp.Events {
			e := store.Event{Type: store.EventPut}
			if ev.Type == mvccpb.DELETE {
				e.Type = store.EventDelete
				e.KV = s.kv(ev.Kv.Key, nil, 0, ev.Kv.ModRevision)
				e.KV.Value = nil
			} else {
				e.KV = s.kv(ev.Kv.Key, ev.Kv.Value, ev.Kv.CreateRevision, ev.Kv.ModRevision)
			}
			select {
			case out <- e:
				last = ev.Kv.ModRevision
			case <-ctx.Done():
				return last, false
			}
		}
	}
	// The channel closed without a response: the client gave up (its
	// context ended, or the connection closed).
	return last, false
}
