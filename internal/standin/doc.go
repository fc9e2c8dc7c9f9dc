// Package standin is the built-in stand-in kube-apiserver: a small TLS
// server that takes the place of a managed cluster's real control plane so
// that `tagwall serve` works end to end on one machine with no Kubernetes.
// It is not Kubernetes: it answers only the unauthenticated discovery and
// health endpoints a client touches first (/version, /healthz, /livez,
// /readyz, /api, /api/v1, /apis), enough for `kubectl get --raw /version`
// and for tests that check a connection really reached "the API server"
// through the front door.
//
// Each Server presents a certificate for the cluster's FQDN signed by the
// cluster's CA (see package pki), so a kubeconfig carrying that CA and
// `tls-server-name: <fqdn>` verifies it. A request with a bearer token
// other than the configured one gets 401; a request with none is treated
// as anonymous and may read the discovery endpoints, as on a real cluster.
//
// A Server owns no listener: ServeConn serves one connection accepted
// elsewhere (the front door hands it each admitted client, replaying the
// ClientHello it read), so file descriptors grow with connections, never
// with clusters. Its HTTP server's own errors (TLS handshake errors) go to
// Config.Logger at debug level. A Fleet keeps one Server per cluster: Sync
// makes servers for clusters that appeared and closes those of clusters
// that went; Lazy instead registers a handle that makes the cluster's
// Server (its certificate) at its first connection, so an idle cluster
// costs a small struct and nothing else. Server, Lazy and Fleet are safe
// for concurrent use.
package standin
