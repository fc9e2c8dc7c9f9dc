package controller

import (
	"context"
	"time"

	"github.com/tagwall/tagwall/internal/state"
)

// nextWake is the earliest feature deadline, or a retry in a second.
func (c *Controller) nextWake() time.Duration {
	d := time.Hour
	if len(c.retry) > 0 {
		d = time.Second
	}
	now := c.cfg.Now()
	for _, fe := range c.features {
		if fe.f.State != state.FeatureRegistering && fe.f.State != state.FeatureUnregistering || fe.f.Deadline.IsZero() {
			continue
		}
		d = min(d, max(fe.f.Deadline.Sub(now), 0))
	}
	return d
}

func (c *Controller) resetTimer(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(c.nextWake())
}

// tick completes due feature transitions and retries failed writes.
func (c *Controller) tick(ctx context.Context) {
	now := c.cfg.Now()
	for key, fe := range c.features {
		if fe.f.Deadline.IsZero() || now.Before(fe.f.Deadline) {
			continue
		}
		f := fe.f.Effective(now)
		b, err := state.Encode(f)
		if err != nil {
			continue
		}
		rev, err := c.cfg.Store.Update(ctx, key, b, fe.rev)
		if err != nil {
			c.cfg.Logger.Warn("feature transition", "key", key, "err", err)
			fe.f.Deadline = now.Add(time.Second) // re-read through the watch or retry
			continue
		}
		fe.f, fe.rev = f, rev
	}
	retry := c.retry
	c.retry = map[string]bool{}
	c.catalog = c.cfg.Catalog()
	for key := range retry {
		c.reconcile(key)
	}
}
