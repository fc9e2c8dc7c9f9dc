package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/tagwall/tagwall/internal/clustercreds"
	"github.com/tagwall/tagwall/internal/identity"
)

// Keys of the files replicas share in distributed mode, so that any
// replica behind the load balancer answers as the same server: one admin
// token, subscription, tenant, API CA and /adfs token-signing key
// (identity.Config.SharedFiles), and one CA and token per cluster (a
// kubeconfig from one replica works against every front door). They hold
// private keys: the etcd cluster must be access-controlled (client
// certificates) like any secret store.
const (
	sharedIdentityKey = "shared/identity"
	sharedClusterKey  = "shared/clusters/"
)

// shareClusterCreds is the clustercreds.ShareFunc of the distributed mode:
// a cluster's CA and stand-in token, stored under shared/clusters/<hash of
// the lower-cased id>.
func (m *Main) shareClusterCreds(clusterID, dir string, create func() error) error {
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	key := sharedClusterKey + filepath.Base(clustercreds.Dir("", clusterID))
	return identity.Share(ctx, m.store, key, dir, clustercreds.SharedFiles, create)
}
