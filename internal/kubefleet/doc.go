// Package kubefleet runs a real kube-apiserver (internal/kubeapi) for each
// managed cluster of `tagwall serve --kube-apiserver`: the Kubernetes API
// and its storage are real; there are no nodes, scheduler or controller
// manager.
//
// All the clusters share one etcd, each under its own key prefix
// (Config.EtcdPrefix + "<hash of the cluster id>/"). Sync makes the running
// set equal the clusters it is given: it starts the missing ones in the
// background (a start takes seconds; until the apiserver listens, the
// front door's dial to it fails and the connection is closed, and until
// its /readyz passes, a second or so later, what needs its bootstrap is
// refused: the default RBAC roles, so the monitoring user's requests
// are forbidden), keeps the
// running ones, and stops the rest and deletes their keys and files —
// Sync is told about a cluster's absence only when it was deleted. At
// most Config.Max apiservers run at once: a cluster past the cap gets no
// apiserver and Sync reports it. A Fleet is safe for concurrent use.
package kubefleet
