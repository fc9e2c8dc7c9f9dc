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
		d = min(d, max(fe.due().Sub(now), 0))
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

// tick completes due feature transitions (each under its claim, with a
// compare-and-swap write) and retries failed or unclaimed writes.
func (c *Controller) tick(ctx context.Context) {
	now := c.cfg.Now()
	for key, fe := range c.features {
		if fe.f.Deadline.IsZero() || now.Before(fe.due()) {
			continue
		}
		f := fe.f.Effective(now)
		b, err := state.Encode(f)
		if err != nil {
			continue
		}
		if !c.claim(ctx, featureClaim(key)) {
			fe.retryAt = now.Add(time.Second) // another replica has it; look again
			continue
		}
		rev, err := c.cfg.Store.Update(ctx, key, b, fe.rev)
		c.cfg.Claims.Release(featureClaim(key))
		if err != nil {
			c.cfg.Logger.Warn("feature transition", "key", key, "err", err)
			fe.retryAt = now.Add(time.Second) // re-read through the watch or retry
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

// due is when the feature's transition should next be attempted: its
// deadline, or later after a failed or unclaimed attempt.
func (fe *featureEntry) due() time.Time {
	if fe.retryAt.After(fe.f.Deadline) {
		return fe.retryAt
	}
	return fe.f.Deadline
}
