package kubefleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/pki"
)

// DefaultMax is the default cap on apiservers running at once: each takes
// about 250–300 MiB of memory here (docs/serve.md).
const DefaultMax = 4

// Cluster is one cluster the fleet runs an apiserver for.
type Cluster struct {
	ID   string  // the cluster's resource id
	FQDN string  // the SNI clients send; on the serving certificate
	CA   *pki.CA // the cluster's CA: signs the serving and client certificates
	// Version is the Kubernetes minor the cluster runs ("1.33"): its
	// apiserver emulates it (kubeapi.Config.EmulatedVersion). A change
	// restarts the apiserver on the same data, as an upgrade of the
	// control plane does. "": the binary's own.
	Version string
}

// Config configures a Fleet.
type Config struct {
	Binary      string   // kube-apiserver
	Dir         string   // per-cluster dirs are made below it
	EtcdServers []string // shared by every cluster
	EtcdPrefix  string   // e.g. "/tagwall/kube/"
	Max         int      // 0: DefaultMax
	// MaxPerSubscription caps the apiservers of one subscription (the
	// resource ids' /subscriptions/{id}), so one tenant cannot take every
	// one of Max; 0: no cap but Max.
	MaxPerSubscription int
	Logger             *slog.Logger
}

// Fleet keeps one kube-apiserver per cluster.
type Fleet struct {
	cfg  Config
	etcd *clientv3.Client

	mu     sync.Mutex
	procs  map[string]*entry
	closed bool
	// removing holds, by cluster id, a channel closed when that cluster's
	// removal (stop, keys and files deleted) is over: a cluster created
	// again under the same id starts only then, so the removal cannot
	// delete the new one's data. removals counts them for Close.
	removing map[string]chan struct{}
	removals sync.WaitGroup
}

type entry struct {
	c     Cluster
	addr  string
	proc  *kubeapi.Process // nil until ready
	ready chan struct{}
	stop  context.CancelFunc
	err   error
}

// New returns a Fleet; it connects to etcd (to delete a deleted cluster's
// keys) but starts nothing.
func New(cfg Config) (*Fleet, error) {
	if cfg.Binary == "" || len(cfg.EtcdServers) == 0 || cfg.Dir == "" {
		return nil, errors.New("kube fleet: binary, dir and etcd servers are required")
	}
	if _, err := os.Stat(cfg.Binary); err != nil {
		return nil, fmt.Errorf("kube fleet: kube-apiserver %q: %w", cfg.Binary, err)
	}
	if cfg.Max == 0 {
		cfg.Max = DefaultMax
	}
	if cfg.EtcdPrefix == "" {
		cfg.EtcdPrefix = "/tagwall/kube/"
	}
	if !strings.HasSuffix(cfg.EtcdPrefix, "/") {
		cfg.EtcdPrefix += "/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.EtcdServers, DialTimeout: 5 * time.Second, Logger: nil})
	if err != nil {
		return nil, fmt.Errorf("kube fleet: connect to etcd %v: %w", cfg.EtcdServers, err)
	}
	return &Fleet{cfg: cfg, etcd: cli, procs: map[string]*entry{}, removing: map[string]chan struct{}{}}, nil
}

// subscriptionOf is the lower-case subscription id of a resource id
// ("/subscriptions/{id}/…"), or "" when it has none.
func subscriptionOf(id string) string {
	rest, ok := strings.CutPrefix(strings.ToLower(id), "/subscriptions/")
	if !ok {
		return ""
	}
	sub, _, _ := strings.Cut(rest, "/")
	return sub
}

// key is the cluster's short, stable name in paths and etcd keys.
func key(clusterID string) string {
	h := sha256.Sum256([]byte(strings.ToLower(clusterID)))
	return hex.EncodeToString(h[:8])
}

// Sync makes the fleet run exactly clusters (see the package doc) and
// returns each running or starting cluster's loopback address, which is
// the front door's upstream for it.
func (f *Fleet) Sync(clusters []Cluster) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("sync kube-apiservers: fleet closed")
	}
	want := make(map[string]Cluster, len(clusters))
	for _, c := range clusters {
		want[c.ID] = c
	}
	f.removeGone(want)
	var errs []error
	out := make(map[string]string, len(want))
	perSub := map[string]int{}
	for _, e := range f.procs {
		perSub[subscriptionOf(e.c.ID)]++
	}
	// In the order given (the routes'), so which clusters get the last
	// places under the caps does not change from one Sync to the next.
	seen := make(map[string]bool, len(want))
	for _, c := range clusters {
		id := c.ID
		if seen[id] {
			continue
		}
		seen[id], c = true, want[id] // a duplicate id: the last entry, as in want
		e, ok := f.procs[id]
		if ok && e.c.Version == c.Version {
			out[id] = e.addr
			continue
		}
		var prev *entry // a version change: the same data, the new version's apiserver
		if ok {
			prev = e
			delete(f.procs, id)
		} else if err := f.capped(id, perSub); err != nil {
			errs = append(errs, err)
			continue
		}
		ne, err := f.start(c, prev)
		if err != nil {
			errs = append(errs, err)
			if prev != nil { // the old version keeps running, not leaked
				f.procs[id], out[id] = prev, prev.addr
			}
			continue
		}
		f.procs[id] = ne
		out[id] = ne.addr
	}
	return out, errors.Join(errs...)
}

// removeGone stops and deletes, in the background, the apiservers of
// clusters not in want. f.mu is held.
func (f *Fleet) removeGone(want map[string]Cluster) {
	for id, e := range f.procs {
		if _, ok := want[id]; ok {
			continue
		}
		delete(f.procs, id)
		done := make(chan struct{})
		f.removing[id] = done
		f.removals.Go(func() {
			f.remove(id, e)
			f.mu.Lock()
			if f.removing[id] == done {
				delete(f.removing, id)
			}
			f.mu.Unlock()
			close(done)
		})
	}
}

// capped returns the error of a new apiserver for cluster id past Max or
// past MaxPerSubscription (perSub counts each subscription's running and
// starting ones), else counts it in perSub. f.mu is held.
func (f *Fleet) capped(id string, perSub map[string]int) error {
	sub := subscriptionOf(id)
	switch {
	case len(f.procs) >= f.cfg.Max:
		return fmt.Errorf("start kube-apiserver for %s: %d already run (--max-kube-apiservers)", id, f.cfg.Max)
	case f.cfg.MaxPerSubscription > 0 && perSub[sub] >= f.cfg.MaxPerSubscription:
		return fmt.Errorf("start kube-apiserver for %s: subscription %s already runs %d (--max-kube-apiservers-per-subscription)",
			id, sub, f.cfg.MaxPerSubscription)
	}
	perSub[sub]++
	return nil
}

// start picks the port and starts the apiserver in the background; with
// prev (a version change), after prev's apiserver has stopped, and after
// a removal of the same id is over. f.mu is held.
func (f *Fleet) start(c Cluster, prev *entry) (*entry, error) {
	if c.CA == nil {
		return nil, fmt.Errorf("start kube-apiserver for %s: the cluster's CA is not available", c.ID)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &entry{c: c, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), ready: make(chan struct{}), stop: cancel}
	cfg := kubeapi.Config{Binary: f.cfg.Binary, Dir: filepath.Join(f.cfg.Dir, key(c.ID)), EtcdServers: f.cfg.EtcdServers,
		EtcdPrefix: f.cfg.EtcdPrefix + key(c.ID), CA: c.CA, ServerNames: []string{c.FQDN}, Port: port, EmulatedVersion: c.Version}
	removed := f.removing[c.ID] // start holds f.mu
	go func() {
		defer close(e.ready)
		if removed != nil {
			<-removed // the same id's removal must not delete this one's data
		}
		if prev != nil {
			prev.stop()
			<-prev.ready
			if prev.proc != nil {
				_ = prev.proc.Stop()
			}
			f.cfg.Logger.Info("kube-apiserver stopped for a version change", "cluster", c.ID, "from", prev.c.Version, "to", c.Version)
		}
		p, err := kubeapi.Start(ctx, cfg)
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil {
			e.err = err
			f.cfg.Logger.Error("kube-apiserver did not start", "cluster", c.ID, "err", err)
			return
		}
		if ctx.Err() != nil { // removed or closed while starting
			_ = p.Stop()
			return
		}
		e.proc = p
		f.cfg.Logger.Info("kube-apiserver ready", "cluster", c.ID, "addr", e.addr, "rss_mib", p.RSS()>>20)
	}()
	return e, nil
}

// remove stops a deleted cluster's apiserver and deletes its keys and
// files.
func (f *Fleet) remove(id string, e *entry) {
	e.stop()
	<-e.ready
	if e.proc != nil {
		_ = e.proc.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.etcd.Delete(ctx, f.cfg.EtcdPrefix+key(id)+"/", clientv3.WithPrefix()); err != nil {
		f.cfg.Logger.Error("delete a deleted cluster's kubernetes data", "cluster", id, "err", err)
	}
	if err := os.RemoveAll(filepath.Join(f.cfg.Dir, key(id))); err != nil {
		f.cfg.Logger.Error("delete a deleted cluster's kube-apiserver files", "cluster", id, "err", err)
	}
	f.cfg.Logger.Info("kube-apiserver stopped and its data deleted", "cluster", id)
}

// Wait blocks until the cluster's apiserver is ready (nil), failed to
// start, or ctx ends.
func (f *Fleet) Wait(ctx context.Context, id string) error {
	f.mu.Lock()
	e, ok := f.procs[id]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("kube-apiserver for %s: not running", id)
	}
	select {
	case <-e.ready:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Process returns the cluster's running apiserver.
func (f *Fleet) Process(id string) (*kubeapi.Process, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.procs[id]; ok && e.proc != nil {
		return e.proc, true
	}
	return nil, false
}

// Close stops every apiserver (their data stays) and the etcd client.
func (f *Fleet) Close() error {
	f.mu.Lock()
	f.closed = true
	procs := f.procs
	f.procs = map[string]*entry{}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range procs {
		wg.Go(func() {
			e.stop()
			<-e.ready
			if e.proc != nil {
				_ = e.proc.Stop()
			}
		})
	}
	wg.Wait()
	f.removals.Wait() // they delete through f.etcd
	return f.etcd.Close()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port for a kube-apiserver: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
