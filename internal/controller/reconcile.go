package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// compile resolves and compiles the cluster's list with the shared route
// compiler and derives its status: the tags enforced (name → changeNumber,
// last good ones included) and, when a tag vanished or no data is loaded,
// Degraded with the compiler's notes.
func (c *Controller) compile(key string, mc *state.ManagedCluster) (*routecompile.Result, state.ClusterStatus, error) {
	ranges := mc.Access.AuthorizedIPRanges
	var tags routecompile.Tags
	if c.catalog != nil { // a nil *Catalog must not become a non-nil interface
		tags = c.catalog
	}
	res, err := c.compiler.Compile(tags, routecompile.List{Name: key, Entries: ranges, AllowAll: len(ranges) == 0})
	if err != nil {
		return nil, state.ClusterStatus{}, err
	}
	var st state.ClusterStatus
	for _, u := range res.Tags {
		if u.Resolved {
			if st.EnforcedServiceTags == nil {
				st.EnforcedServiceTags = map[string]int64{}
			}
			st.EnforcedServiceTags[u.Name] = u.ChangeNumber
		}
	}
	if res.Degraded() {
		st.Degraded, st.Message = true, strings.Join(res.Notes, "; ")
	}
	return res, st, nil
}

// routeVersion names a route: the generation, and for lists with tags the
// compiler's version, which covers every tag's version.
func routeVersion(mc *state.ManagedCluster, res *routecompile.Result) string {
	if len(res.Tags) == 0 {
		return fmt.Sprintf("g%d", mc.Generation)
	}
	return fmt.Sprintf("g%d/%s", mc.Generation, res.Version)
}

// reconcile brings one cluster's route and records toward what is stored.
func (c *Controller) reconcile(key string) {
	e, ok := c.clusters[key]
	if !ok {
		c.forget(key)
		c.finishDeletes(key)
		return
	}
	mc := &e.mc
	if mc.ProvisioningState == state.Deleting {
		c.forget(key)
		c.dropRoute(key)
		rev := e.rev
		c.post = append(c.post, c.claimed(key, func(ctx context.Context) { c.deleteCluster(ctx, key, rev) }))
		return
	}
	res, status, err := c.compile(key, mc)
	if err != nil {
		c.cfg.Logger.Error("compile allowlist", "cluster", key, "err", err)
		c.post = append(c.post, c.claimed(key, func(ctx context.Context) { c.markFailed(ctx, key, err) }))
		return
	}
	shadow, err := c.compileShadow(key, mc)
	if err != nil {
		c.cfg.Logger.Error("compile shadow list", "cluster", key, "err", err) // enforces nothing: the route goes on without it
	}
	version := routeVersion(mc, res) + extrasVersion(mc, shadow)
	cur, have := c.routes[key]
	want := Route{ClusterID: arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name),
		SNI: mc.FQDN, Allow: res.Allow, Version: version, Stopped: mc.Stopped(), KubernetesVersion: runningVersion(mc.KubernetesVersion),
		Grants: routecompile.Grants(mc.Grants), Shadow: shadowList(shadow)}
	if !have || cur.Version != want.Version || cur.SNI != want.SNI || cur.Stopped != want.Stopped || cur.KubernetesVersion != want.KubernetesVersion {
		c.setRoute(key, want)
	}
	pending := mc.AppliedGeneration < mc.Generation || (mc.ProvisioningState != state.Succeeded && mc.ProvisioningState != state.Failed)
	if pending || !sameStatus(mc.Status, status) {
		c.post = append(c.post, c.claimed(key, func(ctx context.Context) { c.markSucceeded(ctx, key, status) }))
		return
	}
	c.finishOps(key, mc.AppliedGeneration, nil)
}

func sameStatus(a, b state.ClusterStatus) bool {
	return a.Degraded == b.Degraded && a.Message == b.Message && maps.Equal(a.EnforcedServiceTags, b.EnforcedServiceTags)
}

// markSucceeded records that the route for the cluster's generation is
// installed, then completes its operations.
func (c *Controller) markSucceeded(ctx context.Context, key string, status state.ClusterStatus) {
	e, ok := c.clusters[key]
	if !ok || e.mc.ProvisioningState == state.Deleting {
		return
	}
	mc := e.mc
	mc.ProvisioningState, mc.AppliedGeneration, mc.Status = state.Succeeded, mc.Generation, status
	if err := c.writeCluster(ctx, e, &mc); err != nil {
		return
	}
	c.finishOps(key, mc.AppliedGeneration, nil)
}

func (c *Controller) markFailed(ctx context.Context, key string, cause error) {
	e, ok := c.clusters[key]
	if !ok {
		return
	}
	mc := e.mc
	if mc.ProvisioningState == state.Failed && mc.Status.Message == cause.Error() {
		c.finishOps(key, mc.Generation, &state.OperationError{Code: "AllowlistCompileFailed", Message: cause.Error()})
		return
	}
	mc.ProvisioningState = state.Failed
	mc.Status = state.ClusterStatus{Degraded: true, Message: cause.Error()}
	if err := c.writeCluster(ctx, e, &mc); err != nil {
		return
	}
	c.finishOps(key, mc.Generation, &state.OperationError{Code: "AllowlistCompileFailed", Message: cause.Error()})
}

// writeCluster writes mc's provisioning state, applied generation and
// status over e's whole stored record (read again: e holds only the
// fields the controller uses) with CAS. A conflict is not an error to
// report: the newer write arrives through the watch.
func (c *Controller) writeCluster(ctx context.Context, e *clusterEntry, mc *state.ManagedCluster) error {
	full, err := c.fullRecord(ctx, mc.Key(), e)
	if err != nil {
		c.noteWriteError(mc.Key(), err)
		return err
	}
	full.ProvisioningState, full.AppliedGeneration, full.Status = mc.ProvisioningState, mc.AppliedGeneration, mc.Status
	b, err := state.Encode(&full)
	if err != nil {
		return err
	}
	rev, err := c.cfg.Store.Update(ctx, mc.Key(), b, e.rev)
	if err != nil {
		c.noteWriteError(mc.Key(), err)
		return err
	}
	e.mc, e.rev = *mc, rev
	return nil
}

func (c *Controller) noteWriteError(key string, err error) {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return
	}
	c.cfg.Logger.Warn("controller write", "key", key, "err", err)
	c.retry[key] = true
}

// deleteCluster removes a Deleting cluster once its route is gone.
func (c *Controller) deleteCluster(ctx context.Context, key string, rev int64) {
	if _, err := c.cfg.Store.Delete(ctx, key, rev); err != nil {
		c.noteWriteError(key, err)
		return
	}
	delete(c.clusters, key)
	c.finishDeletes(key)
}

// finishDeletes completes the delete operations of a cluster that is gone.
func (c *Controller) finishDeletes(key string) {
	for id, oe := range c.ops[key] {
		if oe.op.Kind == state.OpDelete {
			c.completeOp(key, id, nil)
		}
	}
}

// finishOps completes create/update operations up to generation gen.
func (c *Controller) finishOps(key string, gen int64, opErr *state.OperationError) {
	for id, oe := range c.ops[key] {
		if oe.op.Kind != state.OpDelete && oe.op.Generation <= gen {
			c.completeOp(key, id, opErr)
		}
	}
}

// completeOp writes the operation's terminal status (CAS, one re-read on
// conflict).
func (c *Controller) completeOp(key, id string, opErr *state.OperationError) {
	oe := c.ops[key][id]
	delete(c.ops[key], id)
	if len(c.ops[key]) == 0 {
		delete(c.ops, key) // no empty map left per cluster ever seen
	}
	ctx := context.Background()
	for range 2 {
		op := oe.op
		op.Status, op.EndTime = arm.StatusSucceeded, c.cfg.Now().UTC()
		if opErr != nil {
			op.Status, op.Error = arm.StatusFailed, opErr
		}
		b, err := state.Encode(op)
		if err != nil {
			return
		}
		_, err = c.cfg.Store.Update(ctx, state.OperationKey(id), b, oe.rev)
		if !errors.Is(err, store.ErrConflict) {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				c.cfg.Logger.Warn("complete operation", "id", id, "err", err)
			}
			return
		}
		kv, err := c.cfg.Store.Get(ctx, state.OperationKey(id))
		if err != nil || state.Decode(kv.Key, kv.Value, &oe.op) != nil || oe.op.Status != arm.StatusInProgress {
			return
		}
		oe.rev = kv.ModRevision
	}
}

// failOrphans fails operations (older than a minute) whose cluster never
// took them: a crash between the two writes of a PUT leaves one behind.
func (c *Controller) failOrphans() {
	now := c.cfg.Now()
	for key, m := range c.ops {
		e, ok := c.clusters[key]
		for id, oe := range m {
			if now.Sub(oe.op.StartTime) < time.Minute {
				continue
			}
			switch {
			case oe.op.Kind == state.OpDelete && !ok:
				c.completeOp(key, id, nil)
			case oe.op.Kind != state.OpDelete && (!ok || e.mc.Generation < oe.op.Generation):
				c.completeOp(key, id, &state.OperationError{Code: "OperationAbandoned", Message: "The operation was interrupted; retry it."})
			}
		}
	}
}

// catalogChanged recompiles the clusters that reference tags; the
// compiler keeps the tag sets and returns the same allowlist for clusters
// whose tags did not change, and releases sets no cluster uses.
func (c *Controller) catalogChanged() {
	c.catalog = c.cfg.Catalog()
	for key, e := range c.clusters {
		if hasTag(e.mc.Access.AuthorizedIPRanges) || hasTag(e.mc.ShadowRanges) {
			c.reconcile(key)
		}
	}
}

func hasTag(ranges []string) bool {
	for _, r := range ranges {
		if _, err := netip.ParsePrefix(r); err != nil {
			if _, err := netip.ParseAddr(r); err != nil {
				return true
			}
		}
	}
	return false
}

// runningVersion is the version a cluster's control plane runs for the
// version it asked for: a minor alias ("1.32") is its newest patch, as the
// API's currentKubernetesVersion says; anything else is itself.
func runningVersion(v string) string {
	if p, ok := aksref.ResolveKubernetesVersion(v); ok {
		return p
	}
	return v
}
