// Package clustercreds makes and keeps each cluster's credentials: its own
// CA (which signs the stand-in's serving certificate and goes into every
// kubeconfig of the cluster) and the bearer token its stand-in accepts.
// They are made the first time a cluster needs them and kept in the data
// dir under clusters/<hash of the lower-cased resource id>/, so a
// kubeconfig handed out once stays valid across restarts, and one
// cluster's CA cannot vouch for another.
//
// In the distributed mode Store.Share (identity.Share through the store)
// makes a cluster's files the same on every replica, so a kubeconfig from
// one replica works against every front door. A Store is safe for
// concurrent use.
package clustercreds
