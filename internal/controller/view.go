package controller

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// clusterView is the part of a stored cluster record the controller
// reads. The rest (agent pools, network profile, tags, extra properties)
// is skipped when decoding, so listing many clusters costs less time and
// memory; writeCluster re-reads the whole record before it writes.
type clusterView struct {
	Subscription      string              `json:"subscription"`
	ResourceGroup     string              `json:"resourceGroup"`
	Name              string              `json:"name"`
	FQDN              string              `json:"fqdn"`
	Access            state.AccessProfile `json:"access"`
	ProvisioningState string              `json:"provisioningState"`
	Generation        int64               `json:"generation"`
	AppliedGeneration int64               `json:"appliedGeneration"`
	Status            state.ClusterStatus `json:"status"`
	PowerState        string              `json:"powerState"`
	KubernetesVersion string              `json:"kubernetesVersion"`
}

// decodeCluster decodes the fields of a cluster record the controller
// uses; the other fields of the result are zero.
func decodeCluster(kv store.KV) (*clusterEntry, error) {
	var v clusterView
	if err := decodeView(kv.Value, &v); err != nil {
		return nil, fmt.Errorf("decode %q: %w", kv.Key, err)
	}
	return &clusterEntry{rev: kv.ModRevision, mc: state.ManagedCluster{
		Subscription: v.Subscription, ResourceGroup: v.ResourceGroup, Name: v.Name, FQDN: v.FQDN,
		Access: v.Access, ProvisioningState: v.ProvisioningState, Generation: v.Generation,
		AppliedGeneration: v.AppliedGeneration, Status: v.Status, PowerState: v.PowerState,
		KubernetesVersion: v.KubernetesVersion,
	}}, nil
}

// decodeClusters decodes the cluster records of a listing on every core;
// entries[i] is kvs[i]'s (nil for other keys and for records that do not
// decode, whose errors are logged).
func (c *Controller) decodeClusters(kvs []store.KV) []*clusterEntry {
	entries := make([]*clusterEntry, len(kvs))
	workers := min(runtime.GOMAXPROCS(0), 1+len(kvs)/256)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(kvs); i += workers {
				if !strings.HasPrefix(kvs[i].Key, state.ClustersPrefix) {
					continue
				}
				e, err := decodeCluster(kvs[i])
				if err != nil {
					c.cfg.Logger.Error("controller", "err", err)
					continue
				}
				entries[i] = e
			}
		})
	}
	wg.Wait()
	return entries
}

// finishedOp reports whether kv is an operation record that is not
// InProgress, without decoding it: the controller keeps only operations in
// progress, and a fleet made through the API has one finished operation
// per PUT. A record written by json.Marshal that is InProgress holds the
// string "InProgress" verbatim; one that does not is finished.
func finishedOp(kv store.KV) bool {
	return strings.HasPrefix(kv.Key, state.OperationsPrefix) && !bytes.Contains(kv.Value, []byte(`"InProgress"`))
}

// fullRecord reads the whole stored record of e's cluster for a write: it
// reports store.ErrConflict when the record moved past e.rev (the newer
// one arrives through the watch).
func (c *Controller) fullRecord(ctx context.Context, key string, e *clusterEntry) (state.ManagedCluster, error) {
	var mc state.ManagedCluster
	kv, err := c.cfg.Store.Get(ctx, key)
	if err != nil {
		return mc, err
	}
	if kv.ModRevision != e.rev {
		return mc, fmt.Errorf("read %q at revision %d: %w", key, e.rev, store.ErrConflict)
	}
	return mc, state.Decode(key, kv.Value, &mc)
}
