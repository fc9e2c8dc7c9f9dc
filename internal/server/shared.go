package server

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/tagwall/tagwall/internal/clustercreds"
	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/store"
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

// clusterDeleted is the controller's Deleted: the cluster's credentials go
// (this replica's files, and in a fleet the shared record; each replica
// deletes it, the later ones find it gone), so a cluster created again
// under the same id gets a new CA and token.
func (m *Main) clusterDeleted(clusterID string) {
	if err := m.creds.Forget(clusterID); err != nil {
		m.log.Warn("forget a deleted cluster's credentials", "cluster", clusterID, "err", err)
	}
	if !m.distributed() {
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	key := sharedClusterKey + filepath.Base(clustercreds.Dir("", clusterID))
	if _, err := m.store.Delete(ctx, key, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		m.log.Warn("delete a deleted cluster's shared credentials", "cluster", clusterID, "err", err)
	}
}

// shareClusterCreds is the clustercreds.ShareFunc of the distributed mode:
// a cluster's CA and stand-in token, stored under shared/clusters/<hash of
// the lower-cased id>.
func (m *Main) shareClusterCreds(clusterID, dir string, create func() error) error {
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	key := sharedClusterKey + filepath.Base(clustercreds.Dir("", clusterID))
	return identity.Share(ctx, m.store, key, dir, clustercreds.SharedFiles, create)
}
