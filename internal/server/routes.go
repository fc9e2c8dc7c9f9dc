package server

import (
	"context"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"

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
	gw := make([]gateway.Route, 0, len(routes))
	keep := make(map[string]struct{}, len(routes))
	for _, r := range routes {
		keep[r.ClusterID] = struct{}{}
		gw = append(gw, m.gatewayRoute(r))
	}
	m.fleet.Retain(keep)
	m.gw.SetRoutes(gw)
	m.routeCount.Store(int64(m.gw.RouteCount()))
	m.log.Debug("applied routes", "routes", len(gw))
}

// applyChanges is the controller's ApplyChanges: the routes set and the
// clusters removed since the last call, in time proportional to them.
func (m *Main) applyChanges(set []controller.Route, remove []string) {
	gw := make([]gateway.Route, 0, len(set))
	for _, r := range set {
		gw = append(gw, m.gatewayRoute(r))
	}
	m.gw.UpdateRoutes(gw, remove)
	for _, id := range remove {
		m.fleet.Remove(id)
	}
	m.routeCount.Store(int64(m.gw.RouteCount()))
}

// gatewayRoute is the front-door route of a cluster: to its --upstream,
// else to its lazy stand-in.
func (m *Main) gatewayRoute(r controller.Route) gateway.Route {
	sni := strings.ToLower(r.SNI)
	gr := gateway.Route{Name: r.ClusterID, SNI: sni, Allow: r.Allow, Version: r.Version}
	if u, ok := m.upstreamFor(r.ClusterID); ok {
		gr.Upstream = u.Addr
	} else {
		gr.Local = m.fleet.Lazy(standin.Cluster{ID: r.ClusterID, FQDN: sni})
	}
	return gr
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
	return standin.Config{CA: cred.CA, Token: cred.Token, Now: m.cfg.Now, KubernetesVersion: m.clusterVersion(c.ID),
		Logger: m.log.With("component", "standin")}, nil
}

// clusterVersion reads the cluster's kubernetesVersion from the store, so
// its stand-in reports it on /version ("" when unknown: the stand-in's
// default). It is read when the stand-in starts.
func (m *Main) clusterVersion(clusterID string) string {
	id, err := arm.ParseResourceID(clusterID)
	if err != nil || len(id.Names) == 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(m.ctx, 2*time.Second)
	defer cancel()
	key := state.ClusterKey(id.SubscriptionID, id.ResourceGroup, id.Names[len(id.Names)-1])
	kv, err := m.store.Get(ctx, key)
	if err != nil {
		return ""
	}
	var mc state.ManagedCluster
	if state.Decode(key, kv.Value, &mc) != nil {
		return ""
	}
	return mc.KubernetesVersion
}
