// Package server is `tagwall serve` as a library: the wiring of one
// process running the ARM-compatible API, the controller, the front door
// (gateway), an in-process stand-in kube-apiserver per cluster (package
// standin; no listener of its own, the front door hands it each admitted
// connection), the one service-tag catalog (a servicetag.Set: sources,
// refresh, update checks, embedded snapshots; this package only wires it)
// and a metrics/health
// listener, all from one typed Config. The identity (package identity),
// the per-cluster credentials (package clustercreds) and the etcd claims
// (package claims) live in their own packages.
//
// Lifecycle, in the shape of etcd's embed (StartEtcd / Etcd.Err): the
// command line is parsed elsewhere (cmd/tagwall/serve.go) into a Config;
// New starts every part and returns once every listener is bound (use
// 127.0.0.1:0 addresses and t.TempDir() in tests); Run blocks until its
// context ends (nil) or a part (API server, front door, metrics server,
// controller) stops on its own, and returns that error, naming the part;
// Err delivers the same error as a channel; /readyz turns unready the
// moment a part stops. Close stops it all gracefully within
// Config.ShutdownTimeout. A Main is used once.
//
// A restart is no outage: New lists the store and installs every stored
// cluster's route (controller.Restore: compiled lists, tag sets shared by
// tag version) before the front door listens and before the metrics
// listener serves /readyz, which also stays unready until the controller
// has applied a full listing. Stand-ins are made at a cluster's first
// connection (standin.Lazy), so a route costs no certificate, goroutine or
// descriptor while idle. The front door's metric series are summed over
// the clusters unless Config.MetricsPerCluster, with the
// Config.MetricsTopRefused clusters refusing the most as a bounded series
// set (internal/server/scale_test.go measures it all; docs/bench/scale.md).
//
// The data dir holds everything that must survive a restart:
//
//	tagwall.db             the bbolt store (desired state)
//	token                  the admin bearer token (0600), unless TokenFile is set
//	subscription           the default subscription GUID
//	tenant                 the tenant GUID
//	pki/ca.crt, ca.key     the CA of the API endpoint (key 0600), unless TLSCertFile is set
//	pki/api.crt, api.key   the API server certificate (SAN 127.0.0.1, ::1, localhost), likewise
//	pki/token-signing.key  the P-256 key signing /adfs access tokens (package authn)
//	clusters/<hash>/       per-cluster CA (ca.crt, ca.key) and stand-in token
//	servicetags/<hash>.json the last good document of each service-tag source
//
// Cluster credentials: every cluster gets its own CA, made the first time
// it is needed and kept in the data dir, so a kubeconfig handed out once
// stays valid across restarts and one cluster's CA cannot vouch for
// another. The stand-in serves a leaf for the cluster FQDN signed by it.
//
// Distributed mode (Config.Store = StoreEtcd, docs/deployment.md): several
// Mains share one etcd. The first to start stores the identity (token,
// subscription, tenant, API CA, token-signing key; with TLSCertFile there
// is no API CA, the operator's certificate is the API identity) and each
// cluster's CA and token under shared/, and the others copy them into their data dirs, so
// any replica answers as the same server. Every replica runs the API, the
// controller and the front door; once-only store writes are claimed with
// etcd leases (controller.Claims). One replica at a time, the holder of
// servicetags/refresh/<hash> (the Set's MayFetch), fetches each
// service-tag source and stores the document it installs gzipped under
// servicetags/<hash> (OnInstall); every replica offers the stored document
// to its Set from its watch (Install, under the same update checks, or
// AcceptDocument when the publisher overrode them). The operator's pins and
// the held documents are shared too (fleettags.go), so the service-tag
// administration answers the same on every replica. A replica cut off from
// etcd keeps enforcing what it last applied (fail static); /readyz then
// answers 503 with a detail line and tagwall_store_up is 0.
package server
