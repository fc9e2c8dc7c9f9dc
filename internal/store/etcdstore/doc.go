// Package etcdstore implements store.Store on an etcd cluster, for tagwall
// installs that outgrow one machine, and a Claimer that gives one replica an
// exclusive, lease-backed claim on a named job.
//
// Store revisions are etcd's revisions: KV.CreateRevision and
// KV.ModRevision are etcd's, and a write returns the revision of the etcd
// transaction that made it. Every key lives under the store's prefix, so
// several tagwall installs can share one etcd; revisions are then shared too
// and advance with every install's writes (store.Store allows gaps).
// Create is a transaction on CreateRevision == 0, Update and Delete on
// ModRevision == ifRev; Watch uses etcd watches from fromRev+1 and reports
// etcd compaction as store.ErrCompacted. The etcd client resumes watches
// across reconnects and fails over between endpoints on its own. Watches
// require a leader: a member cut off from the quorum ends its watches (the
// channel closes, and the caller watches again from its last revision)
// rather than going silent.
//
// The caller owns the *clientv3.Client: Close stops the store's watches but
// leaves the client open.
package etcdstore
