package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/kubefleet"
)

// startKube starts the real control planes of --kube-apiserver: the local
// etcd unless --kube-etcd-endpoints names one, and the fleet that runs one
// kube-apiserver per cluster. Without --kube-apiserver it does nothing
// and clusters get stand-ins.
func (m *Main) startKube() error {
	if m.cfg.KubeAPIServer == "" {
		return nil
	}
	eps := m.cfg.KubeEtcdEndpoints
	if len(eps) == 0 {
		e, err := kubefleet.StartEtcd(m.path("kube-etcd"))
		if err != nil {
			return err
		}
		m.kubeEtcd = e
		eps = e.Endpoints()
	}
	f, err := kubefleet.New(kubefleet.Config{Binary: m.cfg.KubeAPIServer, Dir: m.path("kube"), EtcdServers: eps,
		EtcdPrefix: m.cfg.KubeEtcdPrefix, Max: m.cfg.MaxKubeAPIServers, MaxPerSubscription: m.cfg.MaxKubeAPIServersPerSubscription,
		Logger: m.log.With("component", "kube")})
	if err != nil {
		return err
	}
	m.kube = f
	m.log.Info("clusters get a real kube-apiserver", "binary", m.cfg.KubeAPIServer, "etcd", eps, "max", m.cfg.MaxKubeAPIServers)
	return nil
}

// syncKube makes the fleet run an apiserver for every cluster in routes
// that has no --upstream, and returns their addresses by cluster id.
func (m *Main) syncKube(routes []controller.Route) map[string]string {
	var want []kubefleet.Cluster
	for _, r := range routes {
		if _, ok := m.upstreamFor(r.ClusterID); ok {
			continue
		}
		c := kubefleet.Cluster{ID: r.ClusterID, FQDN: strings.ToLower(r.SNI), Version: minorOf(r.KubernetesVersion)}
		if cred, err := m.creds.Get(r.ClusterID); err != nil {
			// Still named: leaving it out would read as a deletion and
			// delete its data. A running apiserver keeps running; a new
			// one fails to start without a CA, and Sync reports it.
			m.log.Error("cluster credentials for its kube-apiserver", "cluster", r.ClusterID, "err", err)
		} else {
			c.CA = cred.CA
		}
		want = append(want, c)
	}
	addrs, err := m.kube.Sync(want)
	m.logKubeErr(err)
	return addrs
}

// kubeClientUser fills a kubeconfig's user with a client certificate
// signed by the cluster's CA, as AKS without Entra ID integration does:
// user (clusterUser_<rg>_<name>, clusterAdmin_…, clusterMonitoringUser_…)
// in group (kubeapi.MastersGroup or kubeapi.MonitoringGroup).
func (m *Main) kubeClientUser(clusterID, user, group string) (userInfo, error) {
	cred, err := m.creds.Get(clusterID)
	if err != nil {
		return userInfo{}, err
	}
	cc, err := kubeapi.IssueClient(cred.CA, user, []string{group}, m.cfg.Now())
	if err != nil {
		return userInfo{}, fmt.Errorf("issue the client certificate of %s: %w", user, err)
	}
	return userInfo{ClientCertificateData: b64(cc.CertPEM), ClientKeyData: b64(cc.KeyPEM)}, nil
}

// closeKube stops every kube-apiserver (their data stays) and the local
// etcd.
func (m *Main) closeKube() error {
	var err error
	if m.kube != nil {
		err = m.kube.Close()
	}
	if m.kubeEtcd != nil {
		m.kubeEtcd.Close()
	}
	return err
}

// minorOf is the minor of a Kubernetes version ("1.33.2" → "1.33"), what a
// cluster's apiserver emulates; "" for a version that is not major.minor[.patch].
func minorOf(v string) string {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return ""
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil || p == "" {
			return ""
		}
	}
	return parts[0] + "." + parts[1]
}
