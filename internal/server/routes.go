package server

import (
	"strings"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/standin"
)

// apply is the controller's Apply (a whole table, after a full listing):
// it swaps the front door's routes and keeps only the stand-ins of the
// routed clusters. An --upstream cluster's route dials its upstream, any
// other's hands admitted connections to its in-process stand-in
// (gateway.Route.Local: no listener, no dial), which is made at the
// cluster's first connection (standin.Lazy), so a route costs no
// certificate, goroutine or descriptor until then. Upstreams come only
// from the operator's configuration, never from the API caller. It runs
// on the controller's goroutine, before the controller marks an operation
// Succeeded.
func (m *Main) apply(routes []controller.Route) {
	var kube map[string]string
	if m.kube != nil {
		kube = m.syncKube(routes) // real apiservers instead of stand-ins
	}
	gw := make([]gateway.Route, 0, len(routes))
	keep := make(map[string]struct{}, len(routes))
	for _, r := range routes {
		keep[r.ClusterID] = struct{}{}
		if gr, ok := m.gatewayRoute(r, kube); ok {
			gw = append(gw, gr)
		}
	}
	m.fleet.Retain(keep)
	m.gw.SetRoutes(gw)
	m.noteRoutes(gw)
	m.routeCount.Store(int64(m.gw.RouteCount()))
	m.log.Debug("applied routes", "routes", len(gw))
}

// applyChanges is the controller's ApplyChanges: the routes set and the
// clusters removed since the last call, in time proportional to them.
func (m *Main) applyChanges(set []controller.Route, remove []string) {
	gw := make([]gateway.Route, 0, len(set))
	for _, r := range set {
		if gr, ok := m.gatewayRoute(r, nil); ok {
			gw = append(gw, gr)
		}
	}
	m.gw.UpdateRoutes(gw, remove)
	for _, id := range remove {
		m.fleet.Remove(id)
	}
	if len(remove) > 0 {
		m.recStale.Store(true) // the console's histories of removed routes go within a second
	}
	m.routeCount.Store(int64(m.gw.RouteCount()))
}

// gatewayRoute is the front-door route of a cluster: to its --upstream,
// else (with --kube-apiserver) to its kube-apiserver in kube, else to its
// lazy stand-in. It reports false for a cluster whose kube-apiserver is
// not running: it stays unrouted (connections denied, no-route).
func (m *Main) gatewayRoute(r controller.Route, kube map[string]string) (gateway.Route, bool) {
	sni := strings.ToLower(r.SNI)
	gr := gateway.Route{Name: r.ClusterID, SNI: sni, Allow: r.Allow, Version: r.Version, Stopped: r.Stopped}
	if u, ok := m.upstreamFor(r.ClusterID); ok {
		gr.Upstream = u.Addr
		return gr, true
	}
	if m.kube != nil {
		addr, ok := kube[r.ClusterID]
		gr.Upstream = addr
		return gr, ok
	}
	gr.Local = m.fleet.Lazy(standin.Cluster{ID: r.ClusterID, FQDN: sni, KubernetesVersion: r.KubernetesVersion})
	return gr, true
}

// logKubeErr logs a kube fleet error once, not at every apply: the same
// failing cluster is retried at each apply (a transient failure heals),
// but an unchanged error is logged at debug level only. It runs on the
// controller's goroutine.
func (m *Main) logKubeErr(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	switch {
	case msg == m.lastKubeErr && err != nil:
		m.log.Debug("start kube-apiservers: still failing", "err", err)
	case err != nil:
		m.log.Error("start kube-apiservers (clusters without one stay unrouted: connections denied)", "err", err)
	case m.lastKubeErr != "":
		m.log.Info("kube-apiservers running again for every cluster")
	}
	m.lastKubeErr = msg
}

// logStandinErr logs a stand-in that could not be made at a connection
// (the connection is closed): the first failure of a message at error
// level, repeats of the same one at debug level.
func (m *Main) logStandinErr(c standin.Cluster, err error) {
	m.standinErrMu.Lock()
	repeat := m.lastStandinErr == err.Error()
	m.lastStandinErr = err.Error()
	m.standinErrMu.Unlock()
	if repeat {
		m.log.Debug("make stand-in api server: still failing", "cluster", c.ID, "err", err)
		return
	}
	m.log.Error("make stand-in api server (its connections are closed)", "cluster", c.ID, "err", err)
}

// provisionStandin gives a new stand-in its cluster's CA and token.
func (m *Main) provisionStandin(c standin.Cluster) (standin.Config, error) {
	cred, err := m.creds.Get(c.ID)
	if err != nil {
		return standin.Config{}, err
	}
	return standin.Config{CA: cred.CA, Token: cred.Token, Now: m.cfg.Now, KubernetesVersion: c.KubernetesVersion,
		Logger: m.log.With("component", "standin")}, nil
}
