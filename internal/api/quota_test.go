package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/api"
)

func clusterURL(name string) string {
	return groupPath + "/providers/Microsoft.ContainerService/managedClusters/" + name + mcVersion
}

func wantQuota(t *testing.T, resp *http.Response, limit int, flag string) {
	t.Helper()
	status, code, msg, _ := armTarget(t, resp)
	if status != http.StatusConflict || code != "QuotaExceeded" || !strings.Contains(msg, fmt.Sprintf("the limit is %d", limit)) || !strings.Contains(msg, flag) {
		t.Fatalf("got %d %s %q, want 409 QuotaExceeded naming %d and %s", status, code, msg, limit, flag)
	}
}

// TestClusterQuota: the create past the limit is a 409 QuotaExceeded,
// updates of existing clusters pass, and the slot frees once a cluster is
// gone.
func TestClusterQuota(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1, configure: func(c *api.Config) { c.MaxClustersPerSubscription = 3 }})
	e.createGroup(t)
	body := clusterBody([]string{"20.20.20.20"}, nil)
	for i := range 3 {
		if r := e.do(t, http.MethodPut, clusterURL(fmt.Sprintf("c%d", i)), body); r.StatusCode != 201 {
			t.Fatalf("create %d: %d", i, r.StatusCode)
		}
	}
	wantQuota(t, e.do(t, http.MethodPut, clusterURL("c3"), body), 3, "--max-clusters-per-subscription")
	if r := e.do(t, http.MethodGet, clusterURL("c3"), ""); r.StatusCode != 404 {
		t.Fatalf("refused create stored: %d", r.StatusCode)
	}
	if r := e.do(t, http.MethodPut, clusterURL("c0"), clusterBody([]string{"30.30.30.0/24"}, nil)); r.StatusCode != 200 {
		t.Fatalf("update at the limit: %d", r.StatusCode)
	}
	if r := e.do(t, http.MethodDelete, clusterURL("c0"), ""); r.StatusCode != 202 {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.do(t, http.MethodGet, clusterURL("c0"), "").StatusCode != 404 {
		if time.Now().After(deadline) {
			t.Fatal("the controller did not remove the deleted cluster")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.do(t, http.MethodPut, clusterURL("c3"), body); r.StatusCode != 201 {
		t.Fatalf("create after a delete: %d", r.StatusCode)
	}
}

// TestClusterQuotaConcurrent: concurrent creates never overshoot in one
// process.
func TestClusterQuotaConcurrent(t *testing.T) {
	const limit, n = 5, 24
	e := newEnv(t, envOpts{featureDelay: -1, noController: true, configure: func(c *api.Config) { c.MaxClustersPerSubscription = limit }})
	e.createGroup(t)
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			r := e.do(t, http.MethodPut, clusterURL(fmt.Sprintf("p%d", i)), clusterBody(nil, nil))
			codes[i] = r.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[201] != limit || count[409] != n-limit {
		t.Fatalf("statuses %v, want %d×201 and %d×409", count, limit, n-limit)
	}
	m := readJSON(t, e.do(t, http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters"+mcVersion, ""))
	if got := len(m["value"].([]any)); got != limit {
		t.Fatalf("%d clusters stored, want %d", got, limit)
	}
}

// TestGroupQuota: the same for resource groups.
func TestGroupQuota(t *testing.T) {
	e := newEnv(t, envOpts{configure: func(c *api.Config) { c.MaxResourceGroupsPerSubscription = 2 }})
	put := func(name string) *http.Response {
		return e.do(t, http.MethodPut, "/subscriptions/"+testSub+"/resourceGroups/"+name+"?api-version=2021-04-01", `{"location":"eastus"}`)
	}
	for _, g := range []string{"g1", "g2"} {
		if r := put(g); r.StatusCode != 201 {
			t.Fatalf("create %s: %d", g, r.StatusCode)
		}
	}
	wantQuota(t, put("g3"), 2, "--max-resource-groups-per-subscription")
	if r := put("g1"); r.StatusCode != 200 {
		t.Fatalf("update at the limit: %d", r.StatusCode)
	}
	if r := e.do(t, http.MethodDelete, "/subscriptions/"+testSub+"/resourceGroups/g2?api-version=2021-04-01", ""); r.StatusCode != 200 {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if r := put("g3"); r.StatusCode != 201 {
		t.Fatalf("create after a delete: %d", r.StatusCode)
	}
}

// TestClusterQuotaDefault is the acceptance run at the default: 1,000
// creates pass, the 1,001st is a 409 QuotaExceeded (memstore, no
// controller).
func TestClusterQuotaDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("1,001 creates")
	}
	e := newEnv(t, envOpts{featureDelay: -1, noController: true})
	e.createGroup(t)
	body := clusterBody(nil, nil)
	for i := range api.DefaultMaxClustersPerSubscription {
		r := e.do(t, http.MethodPut, clusterURL(fmt.Sprintf("c%d", i)), body)
		if r.StatusCode != 201 {
			t.Fatalf("create %d: %d", i, r.StatusCode)
		}
		r.Body.Close()
	}
	wantQuota(t, e.do(t, http.MethodPut, clusterURL("c1000"), body), 1000, "--max-clusters-per-subscription")
}

// TestClusterQuotaReplicas: replicas sharing a store each serialise their
// own creates; with Config.SharedLock (serve --store etcd: an etcd lock)
// they serialise each other's too and the limit is exact. Without it, R
// replicas can end at most R−1 over the limit (a store no other process
// writes needs none), and the next create is refused. A shared lock that
// cannot be taken refuses the create with 503.
func TestClusterQuotaReplicas(t *testing.T) {
	const limit, replicas, perReplica = 4, 3, 8
	var shared sync.Mutex
	for _, tc := range []struct {
		name string
		lock func(ctx context.Context, name string) (func(), error)
		max  int
	}{
		{"own locks only", nil, limit + replicas - 1},
		{"shared lock", func(context.Context, string) (func(), error) { shared.Lock(); return shared.Unlock, nil }, limit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configure := func(c *api.Config) { c.MaxClustersPerSubscription, c.SharedLock = limit, tc.lock }
			a := newEnv(t, envOpts{featureDelay: -1, noController: true, configure: configure})
			envs := []*env{a}
			for range replicas - 1 {
				envs = append(envs, newEnv(t, envOpts{store: a.store, featureDelay: -1, noController: true, configure: configure}))
			}
			a.createGroup(t)
			var wg sync.WaitGroup
			for r, en := range envs {
				for i := range perReplica {
					wg.Go(func() { en.do(t, http.MethodPut, clusterURL(fmt.Sprintf("r%dc%d", r, i)), clusterBody(nil, nil)) })
				}
			}
			wg.Wait()
			m := readJSON(t, a.do(t, http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/managedClusters"+mcVersion, ""))
			if got := len(m["value"].([]any)); got < limit || got > tc.max {
				t.Fatalf("%d clusters stored by %d replicas, want %d..%d", got, replicas, limit, tc.max)
			}
			wantQuota(t, envs[1].do(t, http.MethodPut, clusterURL("late"), clusterBody(nil, nil)), limit, "--max-clusters-per-subscription")
		})
	}
	t.Run("shared lock unavailable", func(t *testing.T) {
		e := newEnv(t, envOpts{featureDelay: -1, noController: true, configure: func(c *api.Config) {
			c.MaxClustersPerSubscription = limit
			c.SharedLock = func(_ context.Context, name string) (func(), error) {
				if strings.Contains(name, "managed-clusters") {
					return nil, errors.New("etcd: no leader")
				}
				return func() {}, nil // the group's create
			}
		}})
		e.createGroup(t)
		r := e.do(t, http.MethodPut, clusterURL("c0"), clusterBody(nil, nil))
		b := readJSON(t, r)
		if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(b), "ServiceUnavailable") {
			t.Fatalf("create without the shared lock: %d %v", r.StatusCode, b)
		}
		if r := e.do(t, http.MethodGet, clusterURL("c0"), ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("the refused create stored the cluster: %d", r.StatusCode)
		}
	})
}
