package controller

import (
	"context"
	"time"
)

// Claims decides which replica does the work that must happen once when
// several controllers watch one store: completing a cluster's operations
// (Creating/Updating → Succeeded, Deleting → gone) and a feature's
// registration timer (Registering → Registered). Every replica still
// installs every route locally; only the writes are claimed. The writes are
// compare-and-swap as well, so a double attempt (a claim that expired under
// a slow owner) is harmless: the loser gets a conflict and the watch
// brings the winner's record.
//
// Implementations must be safe for concurrent use, and Claim must return
// promptly (within its context) when the store is unreachable.
type Claims interface {
	// Claim reports whether this replica holds the claim on name, taking
	// it when it is free. A claim held by another replica reports false
	// with a nil error; an unreachable store reports false with the error.
	Claim(ctx context.Context, name string) (bool, error)
	// Release gives the claim on name up; it does nothing when the claim
	// is not held. It must not block on the store.
	Release(name string)
}

// LocalClaims grants every claim: one process owns all the work (bbolt).
type LocalClaims struct{}

// Claim reports true.
func (LocalClaims) Claim(context.Context, string) (bool, error) { return true, nil }

// Release does nothing.
func (LocalClaims) Release(string) {}

// Claim names: one per cluster (its operations) and per feature (its timer).
func clusterClaim(key string) string { return "ops/" + key }
func featureClaim(key string) string { return "timers/" + key }

// claimTimeout bounds one claim attempt, so an unreachable store cannot
// stall the controller (it keeps the routes it has: fail static).
const claimTimeout = 2 * time.Second

// claim takes name; when another replica holds it, or the store cannot be
// reached, the work is retried (the key is reconciled again in a second),
// so a claim left by a replica that died is taken over once its lease
// expires.
func (c *Controller) claim(ctx context.Context, name string) bool {
	ctx, cancel := context.WithTimeout(ctx, claimTimeout)
	defer cancel()
	ok, err := c.cfg.Claims.Claim(ctx, name)
	if err != nil {
		c.cfg.Logger.Warn("claim", "name", name, "err", err)
	}
	return ok
}

// claimed wraps a post-apply write of the cluster key in its claim.
func (c *Controller) claimed(key string, write func(ctx context.Context)) func(ctx context.Context) {
	return func(ctx context.Context) {
		name := clusterClaim(key)
		if !c.claim(ctx, name) {
			c.retry[key] = true
			return
		}
		defer c.cfg.Claims.Release(name)
		write(ctx)
	}
}
