// Package controller turns the desired state the api package stores into
// front-door routes and completes what the API started.
//
// A Controller lists and then watches the store (resuming from the last
// revision it saw, listing again after store.ErrCompacted). For every
// managed cluster it compiles one immutable allowlist with the route
// compiler both run modes share (package routecompile): the cluster's
// ranges, the resolved service tag's prefixes (one *allowlist.TagSet per tag
// version, shared by every cluster that references it) and the configured
// SystemRanges. A disabled list admits everyone; ["0.0.0.0/32"]
// admits only SystemRanges. After a full listing (Restore, which a server
// calls before its front door listens, or Run's first listing and any
// after a compaction) it calls Config.Apply with the whole route table;
// after every later batch of store events (those already queued, up to
// 512, coalesced) it calls Config.ApplyChanges with the routes that
// changed, or Apply again when ApplyChanges is nil; only from one
// goroutine at a time. It then moves Creating/Updating clusters and their operations to Succeeded
// (or Failed) and removes Deleting clusters, all with compare-and-swap
// writes, so a restart resumes where it stopped. Those writes yield to
// store events waiting, so a burst of changes is enforced before the
// writes of its first changes are done. Only the fields of a cluster
// record the controller uses are decoded and kept; a write re-reads the
// record. It also completes feature
// registrations at their persisted deadlines.
//
// Fail closed, by routecompile's one rule: a tag that the catalog in force
// does not define (it vanished from a new document, or no catalog is
// loaded) keeps its last good prefixes (known to this process) and marks the
// cluster degraded with the compiler's note in its status (shown by `aks
// show`); a tag never resolved admits nobody, also degraded. It never admits
// everyone and never silently drops to empty. CatalogChanged reconciles the
// clusters that name tags; one whose tag versions did not change keeps its
// allowlist and route version. CompileStats counts degraded clusters for
// metrics.
//
// Several controllers may watch one store (replicas on etcd): each applies
// every route locally, and the store writes that must happen once
// (operation completion, feature timers) are taken under Config.Claims
// and are compare-and-swap, so a double attempt is harmless. A claim held
// elsewhere is retried every second, so work left by a dead replica is
// finished once its claim's lease expires. Losing the store never changes
// the applied routes (fail static).
package controller
