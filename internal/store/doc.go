// Package store defines the key-value contract tagwall's control plane keeps
// its desired state in, shaped after etcd so that an embedded bbolt file and
// an etcd cluster can both implement it: every write gets a store-wide,
// strictly increasing revision; writes can be conditioned on a key's
// revision (compare-and-swap); and a Watch streams every change after a
// given revision, so a watcher that was disconnected resumes without loss.
//
// Implementations live in their own packages (boltstore, etcdstore, and
// memstore, the in-memory reference that also serves other packages' unit
// tests) and pass the conformance suite in storetest.
package store
