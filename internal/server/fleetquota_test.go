package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// TestFleetQuotaExact: two replicas on real etcd creating clusters in one
// subscription at the same time never take it past its quota: the count
// and the create run under an etcd lock shared by the replicas.
func TestFleetQuotaExact(t *testing.T) {
	const limit, perReplica = 5, 8
	eps := etcdtest.Endpoints(etcdtest.Start(t, 1))
	ms := startFleet(t, 2, func(int) Config {
		c := fleetConfig(t, eps)
		c.MaxClustersPerSubscription = limit
		return c
	})
	seeds := []*seed{newSeedTB(t, ms[0]), newSeedTB(t, ms[1])}
	seeds[0].createGroupTB(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for r, s := range seeds {
		for i := range perReplica {
			wg.Go(func() {
				name := fmt.Sprintf("r%dc%d", r, i)
				u := s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+name, "2025-05-01")
				code, _ := call(t, s.http, http.MethodPut, u, s.m.Token(), fleetSpec(name, "20.20.20.20"))
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if codes[http.StatusCreated] != limit || codes[http.StatusConflict] != 2*perReplica-limit {
		t.Fatalf("answers %v, want %d created and %d QuotaExceeded", codes, limit, 2*perReplica-limit)
	}
	n, err := ms[1].store.Count(t.Context(), state.ClustersInSubscriptionPrefix(ms[1].Subscription()))
	if err != nil || n != limit {
		t.Fatalf("%d clusters stored (%v), want the limit %d", n, err, limit)
	}
}
