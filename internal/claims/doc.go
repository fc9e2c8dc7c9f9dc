// Package claims implements controller.Claims on etcd leases, so that the
// work that must happen once among replicas (completing a cluster's
// operations, a feature's registration timer, a service-tag refresh) is
// done by one replica at a time. A claim stays held, its lease kept alive,
// until Release, Close or the lease's end (a replica cut off from etcd);
// holding it again costs nothing. Release never blocks on etcd; Close
// releases every claim so that a graceful stop hands work over at once
// instead of after the lease TTL. Etcd is safe for concurrent use.
package claims
