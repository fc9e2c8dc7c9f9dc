package server

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// etcdMember is one embedded etcd server on loopback.
type etcdMember struct {
	cfg  *embed.Config
	etcd *embed.Etcd
}

func freeURL(tb testing.TB) url.URL {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// startEtcd starts n embedded etcd members on loopback in tb.TempDir()
// and stops them when the test ends.
func startEtcd(tb testing.TB, n int) []*etcdMember {
	tb.Helper()
	members := make([]*etcdMember, n)
	var initial []string
	for i := range members {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = tb.TempDir()
		cfg.LogLevel = "error"
		cfg.LogOutputs = []string{filepath.Join(cfg.Dir, "etcd.log")}
		cfg.TickMs, cfg.ElectionMs = 50, 500
		cfg.MaxRequestBytes = 8 << 20 // stored service-tag documents
		peer, client := freeURL(tb), freeURL(tb)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
		cfg.InitialClusterToken = "tagwall-fleet-test"
		initial = append(initial, cfg.Name+"="+peer.String())
		members[i] = &etcdMember{cfg: cfg}
	}
	for _, m := range members {
		m.cfg.InitialCluster = strings.Join(initial, ",")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, m := range members {
		wg.Go(func() { errs[i] = m.start() })
	}
	wg.Wait()
	for _, m := range members {
		tb.Cleanup(m.stop)
	}
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return members
}

func (m *etcdMember) start() error {
	e, err := embed.StartEtcd(m.cfg)
	if err != nil {
		return fmt.Errorf("start etcd %s: %w", m.cfg.Name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		m.etcd = e
		return nil
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("start etcd %s: not ready after 30s", m.cfg.Name)
	}
}

func (m *etcdMember) stop() {
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

// stopAsync starts stopping the member and returns at once: the member
// refuses new requests right away, while its Close waits out the open
// watch streams (seconds, unless their clients go first). Wait on the
// channel after closing the clients.
func (m *etcdMember) stopAsync() <-chan struct{} {
	done := make(chan struct{})
	e := m.etcd
	m.etcd = nil
	go func() {
		defer close(done)
		if e != nil {
			e.Close()
		}
	}()
	return done
}

func etcdEndpoints(members []*etcdMember) []string {
	var eps []string
	for _, m := range members {
		eps = append(eps, m.cfg.AdvertiseClientUrls[0].Host)
	}
	return eps
}
