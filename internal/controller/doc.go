// Package controller turns the desired state the api package stores into
// front-door routes and completes what the API started.
//
// A Controller lists and then watches the store (resuming from the last
// revision it saw, listing again after store.ErrCompacted). For every
// managed cluster it compiles one immutable allowlist: the cluster's ranges,
// the resolved service tag's prefixes (one *allowlist.TagSet per tag and
// changeNumber, shared by every cluster that references it) and the
// configured SystemRanges. A disabled list admits everyone; ["0.0.0.0/32"]
// admits only SystemRanges. After every batch of changes it calls
// Config.Apply with the whole route table, from the Run goroutine only, and
// then moves Creating/Updating clusters and their operations to Succeeded
// (or Failed) and removes Deleting clusters, all with compare-and-swap
// writes, so a restart resumes where it stopped. It also completes feature
// registrations at their persisted deadlines.
//
// Fail closed: with no catalog a tag admits nobody and the cluster is marked
// degraded; a tag that vanishes from a new catalog keeps its last good
// prefixes (known to this process) and marks the cluster degraded; it never
// admits everyone and never silently drops to empty. CatalogChanged
// recompiles only clusters whose tags' changeNumbers changed.
//
// Several controllers may watch one store (replicas on etcd): each applies
// every route locally, and the store writes that must happen once
// (operation completion, feature timers) are taken under Config.Claims
// and are compare-and-swap, so a double attempt is harmless. A claim held
// elsewhere is retried every second, so work left by a dead replica is
// finished once its claim's lease expires. Losing the store never changes
// the applied routes (fail static).
package controller
