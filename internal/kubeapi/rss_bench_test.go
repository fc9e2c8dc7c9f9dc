package kubeapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store/etcdstore/etcdtest"
)

// BenchmarkAPIServerRSS is what one cluster's real kube-apiserver costs in
// memory (serve --kube-apiserver; the reason --max-kube-apiservers
// defaults to 4): each op starts one on a shared embedded etcd, waits until
// it is ready and reports its resident set then (rss-MiB, the mean over
// the ops), and stops it. ns/op is the start-to-ready time.
//
//	go test ./internal/kubeapi -run '^$' -bench APIServerRSS -benchtime 3x
func BenchmarkAPIServerRSS(b *testing.B) {
	bin := binary(b)
	eps := etcdtest.Endpoints(etcdtest.Start(b, 1))
	ca, err := pki.NewCA("bench kube CA", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	var rss int64
	i := 0
	for b.Loop() {
		i++
		cfg := kubeapi.Config{Binary: bin, Dir: b.TempDir(), EtcdServers: eps, EtcdPrefix: "/tagwall/kube/bench" + string(rune('a'+i%26)), CA: ca}
		p, err := kubeapi.Start(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rss += p.RSS()
		if err := p.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(rss)/float64(i)/(1<<20), "rss-MiB")
}
