package etcdtest

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

// Member is one embedded etcd server on loopback.
type Member struct {
	cfg  *embed.Config
	etcd *embed.Etcd
}

// Start starts n members as one cluster and stops them when the test
// ends. Their logs go to etcd.log in each member's data dir; requests may
// be up to 8 MiB (stored service-tag documents).
func Start(tb testing.TB, n int) []*Member {
	tb.Helper()
	members := make([]*Member, n)
	var initial []string
	for i := range members {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = tb.TempDir()
		cfg.LogLevel = "error"
		cfg.LogOutputs = []string{filepath.Join(cfg.Dir, "etcd.log")}
		cfg.TickMs, cfg.ElectionMs = 50, 500
		cfg.MaxRequestBytes = 8 << 20
		peer, client := freeURL(tb), freeURL(tb)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
		cfg.InitialClusterToken = "tagwall-test"
		initial = append(initial, cfg.Name+"="+peer.String())
		members[i] = &Member{cfg: cfg}
	}
	for _, m := range members {
		m.cfg.InitialCluster = strings.Join(initial, ",")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, m := range members {
		wg.Go(func() { errs[i] = m.Start() })
	}
	wg.Wait()
	for _, m := range members {
		tb.Cleanup(m.Stop)
	}
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return members
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

// Start starts (or restarts, on the same ports and data) the member and
// waits until it serves.
func (m *Member) Start() error {
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

// Stop stops the member and waits until it is down; a stopped member
// stays stopped.
func (m *Member) Stop() {
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

// StopAsync starts stopping the member and returns at once: the member
// refuses new requests right away, while its Close waits out the open
// watch streams (seconds, unless their clients go first). Wait on the
// channel after closing the clients.
func (m *Member) StopAsync() <-chan struct{} {
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

// Endpoint is the member's client address (host:port).
func (m *Member) Endpoint() string { return m.cfg.AdvertiseClientUrls[0].Host }

// Endpoints are the members' client addresses, in order.
func Endpoints(members []*Member) []string {
	eps := make([]string, len(members))
	for i, m := range members {
		eps[i] = m.Endpoint()
	}
	return eps
}
