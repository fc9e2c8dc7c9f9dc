package kubefleet

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is the local etcd `serve --kube-apiserver` starts for the clusters'
// Kubernetes data when no --kube-etcd-endpoints are given: one member in
// the process, on loopback, with its data in a directory of the data dir,
// so a restart keeps every cluster's objects.
type Etcd struct {
	e   *embed.Etcd
	url string
}

// StartEtcd starts the member in dir and waits until it serves. Its
// client and peer ports are picked free on 127.0.0.1 at the first start
// and kept in dir/ports, since the member's stored peer URL must not
// change.
func StartEtcd(dir string) (*Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "tagwall-kube"
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{filepath.Join(dir, "etcd.log")}
	peer, client, err := ports(dir)
	if err != nil {
		return nil, err
	}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start the local etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return &Etcd{e: e, url: client.String()}, nil
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("start the local etcd in %s: not ready after 60s", dir)
	}
}

// Endpoints are the member's client URLs.
func (e *Etcd) Endpoints() []string { return []string{e.url} }

// Err reports the member's fatal error.
func (e *Etcd) Err() <-chan error { return e.e.Err() }

// Close stops the member.
func (e *Etcd) Close() { e.e.Close() }

// ports returns the member's peer and client URLs, picking and saving
// them at the first start.
func ports(dir string) (peer, client url.URL, err error) {
	path := filepath.Join(dir, "ports")
	if b, err := os.ReadFile(path); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			return url.URL{Scheme: "http", Host: f[0]}, url.URL{Scheme: "http", Host: f[1]}, nil
		}
	}
	if peer, err = freeURL(); err != nil {
		return
	}
	if client, err = freeURL(); err != nil {
		return
	}
	if err = os.MkdirAll(dir, 0o700); err != nil {
		return peer, client, fmt.Errorf("create the local etcd dir %s: %w", dir, err)
	}
	if err = os.WriteFile(path, []byte(peer.Host+" "+client.Host+"\n"), 0o600); err != nil {
		return peer, client, fmt.Errorf("save the local etcd ports: %w", err)
	}
	return peer, client, nil
}

func freeURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, fmt.Errorf("pick a port for the local etcd: %w", err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}
