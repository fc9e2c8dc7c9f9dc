package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/etcdstore"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/testutil"
)

const fleetPrefix = "/tw/"

// fleetConfig is testConfig for one replica of a fleet on etcd, with a
// one-second claim lease.
func fleetConfig(tb testing.TB, eps []string) Config {
	tb.Helper()
	cfg := testConfig(tb, tb.TempDir())
	cfg.Store = StoreEtcd
	cfg.Etcd = EtcdConfig{Endpoints: eps, Prefix: fleetPrefix}
	cfg.ClaimTTL = time.Second
	cfg.ClientConfigPath = ""
	return cfg
}

// startFleet runs n replicas at once (they race to create the shared
// identity) and closes them at the end of the test.
func startFleet(tb testing.TB, n int, cfg func(i int) Config) []*Main {
	tb.Helper()
	ms := make([]*Main, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ms {
		c := cfg(i)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ms[i], errs[i] = New(ctx, c)
		})
	}
	wg.Wait()
	for _, m := range ms {
		if m != nil {
			tb.Cleanup(func() { _ = m.Close() })
		}
	}
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("run fleet: %v", err)
	}
	return ms
}

// fleetCluster is one cluster of the fleet test and the last list a 2xx
// acknowledged.
type fleetCluster struct {
	name   string
	ranges []string
	fqdn   string
	caPEM  []byte
}

func fleetSpec(name string, ranges ...string) armcontainerservice.ManagedCluster {
	mc := clusterSpec(ranges...)
	mc.Properties.DNSPrefix = to.Ptr(name)
	return mc
}

// putVia creates or updates the cluster through s and waits for its
// operation; on success it records the acknowledged list.
func (c *fleetCluster) putVia(t testing.TB, s *seed, ranges ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := s.clusters.BeginCreateOrUpdate(ctx, rg, c.name, fleetSpec(c.name, ranges...), nil)
	if err != nil {
		t.Fatalf("put %s %v: %v", c.name, ranges, err)
	}
	resp, err := p.PollUntilDone(ctx, pollFast)
	if err != nil {
		t.Fatalf("put %s %v: operation: %v", c.name, ranges, err)
	}
	c.ranges, c.fqdn = ranges, strings.ToLower(*resp.Properties.Fqdn)
	if c.caPEM == nil {
		kc, err := s.clusters.ListClusterUserCredentials(ctx, rg, c.name, nil)
		if err != nil || len(kc.Kubeconfigs) != 1 {
			t.Fatalf("credentials of %s: %v", c.name, err)
		}
		_, _, c.caPEM, _ = parseKubeconfig(t, kc.Kubeconfigs[0].Value)
	}
}

// enforced waits until every replica's front door admits allow and
// refuses deny for the cluster.
func (c *fleetCluster) enforced(t *testing.T, ms []*Main, allow, deny string) {
	t.Helper()
	for _, m := range ms {
		eventually(t, 10*time.Second, fmt.Sprintf("%s enforced by %s", c.name, m.GatewayAddr()), func() error {
			if _, err := frontDoorGet(m.GatewayAddr(), allow, c.fqdn, c.caPEM, "/version"); err != nil {
				return fmt.Errorf("%s refused: %w", allow, err)
			}
			if _, err := frontDoorGet(m.GatewayAddr(), deny, c.fqdn, c.caPEM, "/version"); err == nil {
				return fmt.Errorf("%s admitted", deny)
			}
			return nil
		})
	}
}

// ghostClaim takes a claim as a replica that then dies: its client goes
// away without releasing, so the claim lasts until its lease expires.
func ghostClaim(t *testing.T, eps []string, name string, ttl time.Duration) {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, ok, err := etcdstore.NewClaimer(c, fleetPrefix+"claims/", ttl).TryClaimLease(ctx, name); !ok || err != nil {
		t.Fatalf("ghost claim %s: %v %v", name, ok, err)
	}
}

// newSeedTB is newSeed for tests and benchmarks.
func newSeedTB(tb testing.TB, m *Main) *seed {
	tb.Helper()
	hc := testutil.HTTPSClient(tb, m.CAFile())
	opts := testutil.SDKOptions(m.APIURL(), hc)
	cred := testutil.StaticToken(m.Token())
	s := &seed{m: m, http: hc}
	var err error
	if s.clusters, err = armcontainerservice.NewManagedClustersClient(m.Subscription(), cred, opts); err != nil {
		tb.Fatal(err)
	}
	if s.groups, err = armresources.NewResourceGroupsClient(m.Subscription(), cred, opts); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *seed) createGroupTB(tb testing.TB) {
	tb.Helper()
	_, err := s.groups.CreateOrUpdate(context.Background(), rg, armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		tb.Fatalf("group create: %v", err)
	}
}

func (s *seed) provisioningState(t *testing.T, name string) string {
	t.Helper()
	resp, err := s.clusters.Get(context.Background(), rg, name, nil)
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return *resp.Properties.ProvisioningState
}

func scrape(t *testing.T, m *Main, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + m.MetricsAddr() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFleet runs three replicas on a three-member etcd: a write through
// any replica is enforced by every front door; claimed work left by a dead
// replica is finished by another; losing one member changes nothing;
// losing etcd keeps every front door enforcing the last state; no
// acknowledged write is lost.
func TestFleet(t *testing.T) {
	t0 := time.Now()
	members := etcdtest.Start(t, 3)
	t.Logf("etcd up after %v", time.Since(t0))
	eps := etcdtest.Endpoints(members)
	var stopping []<-chan struct{}
	t.Cleanup(func() { // after the replicas (their clients) are closed
		t1 := time.Now()
		for _, done := range stopping {
			<-done
		}
		t.Logf("etcd stopped in %v", time.Since(t1))
	})
	ms := startFleet(t, 3, func(int) Config { return fleetConfig(t, eps) })
	a, b, c := ms[0], ms[1], ms[2]
	t.Logf("fleet up after %v", time.Since(t0))
	t.Cleanup(func() { t.Logf("closing replicas at %v", time.Since(t0)) })
	caA, _ := os.ReadFile(a.CAFile())
	for _, m := range ms[1:] {
		ca, _ := os.ReadFile(m.CAFile())
		if m.Token() != a.Token() || m.Subscription() != a.Subscription() || !bytes.Equal(ca, caA) {
			t.Fatal("replicas do not share the token, subscription and API CA")
		}
		k1, _ := os.ReadFile(a.path(identity.TokenKeyFile))
		if k2, _ := os.ReadFile(m.path(identity.TokenKeyFile)); len(k1) == 0 || !bytes.Equal(k1, k2) {
			t.Fatal("replicas do not share the token-signing key")
		}
	}
	sa, sb, sc := newSeed(t, a), newSeed(t, b), newSeed(t, c)
	sa.createGroup(t)

	one := &fleetCluster{name: "one"}
	t.Run("write through A, enforced by all", func(t *testing.T) {
		one.putVia(t, sa, "20.20.20.20")
		one.enforced(t, ms, "20.20.20.20", "8.8.8.8")
		one.putVia(t, sb, "8.8.8.8")
		one.enforced(t, ms, "8.8.8.8", "20.20.20.20")
	})

	t.Run("operation claimed by a dead replica", func(t *testing.T) {
		ghostClaim(t, eps, "ops/"+state.ClusterKey(a.Subscription(), rg, one.name), 2*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p, err := sc.clusters.BeginCreateOrUpdate(ctx, rg, one.name, fleetSpec(one.name, "20.20.20.20"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if st := sa.provisioningState(t, one.name); st != "Updating" {
			t.Fatalf("provisioningState %s while the dead owner's claim lasts, want Updating", st)
		}
		if _, err := p.PollUntilDone(ctx, pollFast); err != nil {
			t.Fatalf("operation after takeover: %v", err)
		}
		one.ranges = []string{"20.20.20.20"}
		one.enforced(t, ms, "20.20.20.20", "8.8.8.8")
	})

	t.Run("feature timer claimed by a dead replica", func(t *testing.T) {
		key := state.FeatureKey(a.Subscription(), state.ContainerService, state.FeatureServiceTags)
		ghostClaim(t, eps, "timers/"+key, 4*time.Second)
		if st := sa.featureState(t, "register"); st != "Registering" {
			t.Fatalf("after register: %s", st)
		}
		// The API shows Registered once the delay passes; the stored
		// record moves only under the timer's claim.
		stored := func() string {
			kv, err := b.store.Get(context.Background(), key)
			var f state.Feature
			if err != nil || state.Decode(kv.Key, kv.Value, &f) != nil {
				return fmt.Sprint(err)
			}
			return f.State
		}
		time.Sleep(1300 * time.Millisecond) // past the 1 s delay, well inside the ghost's lease
		if st := stored(); st != state.FeatureRegistering {
			t.Fatalf("stored feature %s while the dead owner's claim lasts, want Registering", st)
		}
		eventually(t, 10*time.Second, "stored feature Registered after takeover", func() error {
			if st := stored(); st != state.FeatureRegistered {
				return errors.New(st)
			}
			return nil
		})
	})

	// Kill A: B and C carry on.
	if err := a.Close(); err != nil {
		t.Logf("close A: %v", err)
	}
	live := []*Main{b, c}

	clusters := []*fleetCluster{one, {name: "two"}, {name: "three"}}
	t.Run("one etcd member down", func(t *testing.T) {
		stopping = append(stopping, members[0].StopAsync())
		clusters[1].putVia(t, sb, "20.20.20.20")
		clusters[2].putVia(t, sc, "8.8.8.8")
		one.putVia(t, sb, "8.8.8.8")
		one.enforced(t, live, "8.8.8.8", "20.20.20.20")
		clusters[1].enforced(t, live, "20.20.20.20", "8.8.8.8")
		clusters[2].enforced(t, live, "8.8.8.8", "20.20.20.20")
	})

	t.Run("no acknowledged write lost", func(t *testing.T) {
		for _, cl := range clusters {
			for _, s := range []*seed{sb, sc} {
				resp, err := s.clusters.Get(context.Background(), rg, cl.name, nil)
				if err != nil {
					t.Fatalf("get %s: %v", cl.name, err)
				}
				got := derefAll(resp.Properties.APIServerAccessProfile.AuthorizedIPRanges)
				var want []string
				for _, r := range cl.ranges {
					want = append(want, r+"/32")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s = %v, want the last acknowledged %v", cl.name, got, want)
				}
			}
		}
	})

	t.Run("etcd down: fail static", func(t *testing.T) {
		for _, mb := range members {
			stopping = append(stopping, mb.StopAsync())
		}
		for _, m := range live {
			eventually(t, 10*time.Second, "tagwall_store_up 0", func() error {
				if _, body := scrape(t, m, "/metrics"); !strings.Contains(body, `tagwall_store_up{backend="etcd"} 0`) {
					return errors.New("store still reported up")
				}
				return nil
			})
			code, body := scrape(t, m, "/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "fail static") {
				t.Fatalf("/readyz %d:\n%s", code, body)
			}
		}
		one.enforced(t, live, "8.8.8.8", "20.20.20.20")
		clusters[1].enforced(t, live, "20.20.20.20", "8.8.8.8")
		clusters[2].enforced(t, live, "8.8.8.8", "20.20.20.20")
	})
}

func derefAll(in []*string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		out = append(out, *p)
	}
	return out
}

// TestFleetSharesServiceTags: one replica at a time fetches the source;
// every replica enforces the document it stored, and when that replica
// goes, another takes the refresh over.
func TestFleetSharesServiceTags(t *testing.T) {
	docs := map[string][]byte{}
	for _, name := range []string{"azure-government-2026-05-04.json", "azure-government-2026-07-06.json", "azure-government-2026-07-13.json"} {
		b, err := os.ReadFile(testutil.ServiceTags(t, name))
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = b
	}
	var serving atomic.Pointer[[]byte]
	var fetches atomic.Int64
	setDoc := func(name string) { b := docs[name]; serving.Store(&b) }
	setDoc("azure-government-2026-05-04.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(*serving.Load())
	}))
	defer srv.Close()

	members := etcdtest.Start(t, 1)
	eps := etcdtest.Endpoints(members)
	ms := startFleet(t, 3, func(int) Config {
		cfg := fleetConfig(t, eps)
		cfg.ServiceTags = []string{srv.URL + "/ServiceTags_AzureGovernment.json"}
		cfg.ServiceTagsRefresh = time.Second
		return cfg
	})
	inForce := func(live []*Main, cn int64) {
		t.Helper()
		for _, m := range live {
			eventually(t, 15*time.Second, fmt.Sprintf("changeNumber %d in force", cn), func() error {
				cat := m.Catalog()
				if cat == nil || cat.Document().ChangeNumber != cn {
					return errors.New("not yet")
				}
				return nil
			})
		}
	}
	start := time.Now()
	inForce(ms, 391)
	setDoc("azure-government-2026-07-06.json")
	inForce(ms, 400)
	// One holder fetches once a second (plus a retry or two around a
	// takeover); three replicas each fetching would be three times that.
	if n, limit := fetches.Load(), int64(time.Since(start)/time.Second)+3; n > limit {
		t.Errorf("%d fetches in %v: more than one replica fetches", n, time.Since(start).Round(time.Millisecond))
	}

	holder := -1
	for i, m := range ms {
		if ok, _ := m.dist.claims.Claim(context.Background(), refreshClaim+sourceHash(srv.URL+"/ServiceTags_AzureGovernment.json")); ok {
			holder = i
			break
		}
	}
	if holder < 0 {
		t.Fatal("no replica holds the refresh claim")
	}
	_ = ms[holder].Close()
	live := slices.Delete(slices.Clone(ms), holder, holder+1)
	setDoc("azure-government-2026-07-13.json")
	inForce(live, 401)
}
