package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
	"github.com/tagwall/tagwall/internal/testutil"
)

// admits reports whether m's front door lets client reach the cluster:
// a TLS handshake through it (PROXY v2 header from loopback) completes.
func admits(gatewayAddr, client, fqdn string, pool *x509.CertPool) bool {
	c, err := net.DialTimeout("tcp", gatewayAddr, 2*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := testutil.ProxyHeader(client, gatewayAddr).WriteTo(c); err != nil {
		return false
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: fqdn})
	return tc.Handshake() == nil
}

// BenchmarkFleetEnforce measures, on three replicas over a three-member
// etcd, the time from a cluster PUT acknowledged by one replica (its 2xx)
// until all three front doors admit the newly listed address; p50 and p99
// over b.N updates, each through the next replica. Run with a fixed count:
// -bench FleetEnforce -benchtime 100x.
func BenchmarkFleetEnforce(b *testing.B) {
	members := etcdtest.Start(b, 3)
	eps := etcdtest.Endpoints(members)
	ms := startFleet(b, 3, func(int) Config {
		cfg := fleetConfig(b, eps)
		cfg.Logger = testLogger(b)
		return cfg
	})
	seeds := make([]*seed, len(ms))
	for i, m := range ms {
		seeds[i] = newSeedTB(b, m)
	}
	seeds[0].createGroupTB(b)
	cl := &fleetCluster{name: "bench"}
	cl.putVia(b, seeds[0], "20.20.20.20")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cl.caPEM)

	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		addr := fmt.Sprintf("20.20.%d.%d", 21+i/250, 1+i%250)
		s := seeds[i%len(seeds)]
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		p, err := s.clusters.BeginCreateOrUpdate(ctx, rg, cl.name, fleetSpec(cl.name, addr), nil)
		if err != nil {
			b.Fatalf("put %d: %v", i, err)
		}
		acked := time.Now()
		var wg sync.WaitGroup
		var worst atomic.Int64
		for _, m := range ms {
			wg.Go(func() {
				for !admits(m.GatewayAddr(), addr, cl.fqdn, pool) {
					if time.Since(acked) > 10*time.Second {
						b.Errorf("%s not enforced by %s after 10s", addr, m.GatewayAddr())
						return
					}
					time.Sleep(time.Millisecond)
				}
				d := int64(time.Since(acked))
				for {
					w := worst.Load()
					if d <= w || worst.CompareAndSwap(w, d) {
						break
					}
				}
			})
		}
		wg.Wait()
		lat = append(lat, time.Duration(worst.Load()))
		_ = p // the next PUT waits for this one's operation (the SDK poller would wait out Retry-After)
		key := state.ClusterKey(ms[0].Subscription(), rg, cl.name)
		for {
			kv, err := ms[0].store.Get(ctx, key)
			var mc state.ManagedCluster
			if err == nil && state.Decode(key, kv.Value, &mc) == nil && mc.ProvisioningState == state.Succeeded {
				break
			}
			if ctx.Err() != nil {
				b.Fatalf("operation %d not Succeeded: %v", i, ctx.Err())
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
}

// BenchmarkFleetWrites measures API writes per second (resource-group
// PUTs from 8 concurrent clients, spread round-robin over the replicas)
// with one replica and with three, on the same three-member etcd.
func BenchmarkFleetWrites(b *testing.B) {
	members := etcdtest.Start(b, 3)
	eps := etcdtest.Endpoints(members)
	ms := startFleet(b, 3, func(int) Config { return fleetConfig(b, eps) })
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			var clients []*armresources.ResourceGroupsClient
			for _, m := range ms[:n] {
				clients = append(clients, newSeedTB(b, m).groups)
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					c := clients[int(i)%len(clients)]
					_, err := c.CreateOrUpdate(context.Background(), fmt.Sprintf("rg-%d-%d", n, i),
						armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil)
					if err != nil {
						b.Errorf("write %d: %v", i, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}
