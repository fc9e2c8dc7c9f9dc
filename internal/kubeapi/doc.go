// Package kubeapi runs a real kube-apiserver as a child process: the
// Kubernetes API and its storage, with no nodes, scheduler or controller
// manager behind it.
//
// Start writes a certificate set into Config.Dir (a serving certificate
// and admin client certificates issued by Config.CA, and a
// service-account signing key made once and kept), starts the binary on a
// loopback port with its data under Config.EtcdPrefix of the etcd at
// Config.EtcdServers, and returns once /readyz answers ok. A Process is
// safe for concurrent use. Err reports the process's exit; Stop ends it
// (SIGTERM, then SIGKILL after a grace period) and waits.
//
// The binary comes from scripts/kube-apiserver (a pinned build of
// k8s.io/kubernetes cmd/kube-apiserver); Binary finds it from the
// TAGWALL_KUBE_APISERVER environment variable in tests and from a flag in
// `tagwall serve --kube-apiserver`.
package kubeapi
