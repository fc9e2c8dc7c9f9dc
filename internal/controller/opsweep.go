package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// DefaultOperationRetention is how long an ended operation's record is
// kept (Config.OperationRetention): a client polls an operation while it
// runs and reads its result soon after; ARM does not promise a status URL
// for longer than that.
const DefaultOperationRetention = 24 * time.Hour

// DefaultMaxEndedOperations bounds the ended operations' records
// (Config.MaxEndedOperations): the retention bounds their age, not their
// number, and every write adds one (ARM's throttle still lets one
// subscription write 150 a second, 13 million a day). At about 400 bytes a
// record this is some 40 MB of store, and what one sweep lists.
const DefaultMaxEndedOperations = 100_000

// minBoundAge: the bound never deletes an operation that ended less than
// this long ago (nor within the retention, when that is shorter), so one
// tenant's burst of writes cannot take another's fresh results away; the
// throttle bounds what can end within it.
const minBoundAge = 5 * time.Minute

// maxSweepInterval bounds the time between two sweeps.
const maxSweepInterval = 10 * time.Minute

// opSweepClaim is the claim the sweep holds, so that one replica sweeps.
const opSweepClaim = "sweep/operations"

// sweepInterval is the time between two sweeps: half the retention, at
// most maxSweepInterval, at least 10 ms. A record is deleted within
// retention + interval of its end.
func (c *Controller) sweepInterval() time.Duration {
	return min(max(c.cfg.OperationRetention/2, 10*time.Millisecond), maxSweepInterval)
}

// sweepLoop runs sweepOperations every sweepInterval until ctx ends. Every
// write (PUT, DELETE, stop, start, agent pool) adds an operation record, so
// without it the records of a long-lived store would grow without bound
// (a client that loops on PUT grows them at its request rate).
func (c *Controller) sweepLoop(ctx context.Context) {
	t := time.NewTicker(c.sweepInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := c.sweepOperations(ctx); err != nil && ctx.Err() == nil {
				c.cfg.Logger.Warn("sweep ended operations", "deleted", n, "err", err)
			} else if n > 0 {
				c.cfg.Logger.Debug("swept ended operations", "deleted", n)
			}
		}
	}
}

// sweepOperations deletes the operation records that ended longer than
// OperationRetention ago and, past MaxEndedOperations ended records, the
// oldest ended ones beyond it that ended minBoundAge ago or more; each delete is conditioned on the revision
// it read (a record written since is left for the next sweep), under a
// claim so that one replica sweeps a shared store. An operation still in
// progress is never deleted: failOrphans ends the abandoned ones first. It
// returns how many records it deleted. It runs on its own goroutine: it
// reads and writes only the store.
func (c *Controller) sweepOperations(ctx context.Context) (int, error) {
	if !c.claim(ctx, opSweepClaim) {
		return 0, nil // another replica sweeps
	}
	defer c.cfg.Claims.Release(opSweepClaim)
	kvs, _, err := c.cfg.Store.List(ctx, state.OperationsPrefix)
	if err != nil {
		return 0, err
	}
	drop, keep := c.sortOperations(kvs)
	drop = append(drop, c.overBound(keep)...)
	n := 0
	var errs []error
	for _, kv := range drop {
		if _, err := c.cfg.Store.Delete(ctx, kv.Key, kv.ModRevision); err != nil {
			if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// endedOp is an ended operation's record and its end.
type endedOp struct {
	kv  store.KV
	end time.Time
}

// sortOperations splits the records into those to delete (ended longer
// than OperationRetention ago, or damaged) and the ended ones to keep;
// running ones are in neither.
func (c *Controller) sortOperations(kvs []store.KV) (drop []store.KV, keep []endedOp) {
	cutoff := c.cfg.Now().Add(-c.cfg.OperationRetention)
	for _, kv := range kvs {
		var op state.Operation
		if err := state.Decode(kv.Key, kv.Value, &op); err != nil {
			// A damaged record answers no poll; it is reported, and
			// deleted once, like an ended one, so it does not stay forever.
			c.cfg.Logger.Warn("sweep operations: damaged record deleted", "key", kv.Key, "err", err)
			drop = append(drop, kv)
			continue
		}
		switch {
		case op.Status == arm.StatusInProgress || op.EndTime.IsZero():
		case !op.EndTime.After(cutoff):
			drop = append(drop, kv)
		default:
			keep = append(keep, endedOp{kv: kv, end: op.EndTime})
		}
	}
	return drop, keep
}

// overBound returns the oldest of keep beyond MaxEndedOperations, but none
// that ended within minBoundAge (or the retention, when shorter): a client
// polling its own operation keeps its answer whatever others do.
func (c *Controller) overBound(keep []endedOp) []store.KV {
	bound := c.cfg.MaxEndedOperations
	if bound <= 0 || len(keep) <= bound {
		return nil
	}
	// Oldest first; ties by key, so replicas agree.
	slices.SortFunc(keep, func(a, b endedOp) int {
		if c := a.end.Compare(b.end); c != 0 {
			return c
		}
		return strings.Compare(a.kv.Key, b.kv.Key)
	})
	young := c.cfg.Now().Add(-min(minBoundAge, c.cfg.OperationRetention))
	over := len(keep) - bound
	for over > 0 && !keep[over-1].end.Before(young) {
		over--
	}
	c.cfg.Logger.Warn("sweep operations: more ended operations than the bound; the oldest are deleted before their retention",
		"ended", len(keep), "bound", bound, "deleted", over)
	out := make([]store.KV, over)
	for i := range out {
		out[i] = keep[i].kv
	}
	return out
}
