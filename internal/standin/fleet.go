package standin

import (
	"errors"
	"sync"
)

// Cluster names one cluster a Fleet keeps a Server for.
type Cluster struct {
	ID                string // the cluster's resource id (the Fleet's key)
	FQDN              string
	KubernetesVersion string
}

// Fleet keeps one stand-in Server per cluster: made at once (Sync) or at
// the cluster's first connection (Lazy).
type Fleet struct {
	provision func(Cluster) (Config, error)
	onError   func(Cluster, error)

	mu      sync.Mutex
	servers map[string]*fleetEntry
	lazies  map[string]*Lazy
	closed  bool
}

type fleetEntry struct {
	c   Cluster
	srv *Server
}

// NewFleet returns an empty Fleet; provision supplies each new cluster's
// Config (its CA and token).
func NewFleet(provision func(Cluster) (Config, error)) *Fleet {
	return &Fleet{provision: provision, servers: map[string]*fleetEntry{}, lazies: map[string]*Lazy{}}
}

// Sync makes the set of servers equal clusters: it makes the missing ones,
// replaces those whose FQDN or version changed and closes the rest. It
// returns every server by cluster ID, and every error joined (clusters
// that failed have no server). A server costs no listener: connections
// reach it through Server.ServeConn.
func (f *Fleet) Sync(clusters []Cluster) (map[string]*Server, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("sync stand-in api servers: fleet closed")
	}
	want := make(map[string]Cluster, len(clusters))
	for _, c := range clusters {
		want[c.ID] = c
	}
	for id, e := range f.servers {
		if c, ok := want[id]; !ok || c != e.c {
			_ = e.srv.Close()
			delete(f.servers, id)
		}
	}
	var errs []error
	out := make(map[string]*Server, len(want))
	for id, c := range want {
		if e, ok := f.servers[id]; ok {
			out[id] = e.srv
			continue
		}
		srv, err := f.start(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.servers[id] = &fleetEntry{c: c, srv: srv}
		out[id] = srv
	}
	return out, errors.Join(errs...)
}

func (f *Fleet) start(c Cluster) (*Server, error) {
	cfg, err := f.provision(c)
	if err != nil {
		return nil, err
	}
	cfg.Name = c.FQDN
	if cfg.KubernetesVersion == "" {
		cfg.KubernetesVersion = c.KubernetesVersion
	}
	return New(cfg)
}

// Server returns the cluster's server.
func (f *Fleet) Server(id string) (*Server, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.servers[id]; ok {
		return e.srv, true
	}
	return nil, false
}

// Len returns the number of clusters the fleet serves (by Sync or Lazy),
// started or not.
func (f *Fleet) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.servers) + len(f.lazies)
}

// Close stops every server; Sync fails afterwards.
func (f *Fleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for id, e := range f.servers {
		_ = e.srv.Close()
		delete(f.servers, id)
	}
	for id, l := range f.lazies {
		l.close()
		delete(f.lazies, id)
	}
	return nil
}
