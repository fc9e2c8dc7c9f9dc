package server

import (
	"strings"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/standin"
)

// apply is the controller's Apply: it makes the stand-in fleet match the
// route table (one stand-in per cluster not served by an --upstream), then
// swaps the front door's routes: an --upstream cluster's route dials its
// upstream, any other's hands admitted connections to its in-process
// stand-in (gateway.Route.Local: no listener, no dial). Upstreams come only
// from the operator's configuration, never from the API caller. It runs on
// the controller's goroutine, so stand-ins are up before the controller
// marks an operation Succeeded.
func (m *Main) apply(routes []controller.Route) {
	var want []standin.Cluster
	var kube map[string]string
	if m.kube != nil {
		kube = m.syncKube(routes) // real apiservers instead of stand-ins
	} else {
		for _, r := range routes {
			if _, ok := m.upstreamFor(r.ClusterID); !ok {
				want = append(want, standin.Cluster{ID: r.ClusterID, FQDN: strings.ToLower(r.SNI), KubernetesVersion: r.KubernetesVersion})
			}
		}
	}
	standins, err := m.fleet.Sync(want)
	m.logStandinErr(err)
	gw := make([]gateway.Route, 0, len(routes))
	for _, r := range routes {
		gr := gateway.Route{Name: r.ClusterID, SNI: strings.ToLower(r.SNI), Allow: r.Allow, Version: r.Version, Stopped: r.Stopped}
		if u, ok := m.upstreamFor(r.ClusterID); ok {
			gr.Upstream = u.Addr
		} else if addr, ok := kube[r.ClusterID]; ok {
			gr.Upstream = addr
		} else if s, ok := standins[r.ClusterID]; ok {
			gr.Local = s
		} else {
			continue // no upstream: leave it unrouted (connections denied, no-route)
		}
		gw = append(gw, gr)
	}
	m.gw.SetRoutes(gw)
	m.noteRoutes(gw)
	m.routeCount.Store(int64(len(gw)))
	m.log.Debug("applied routes", "routes", len(gw), "standins", len(want))
}

// logStandinErr logs a fleet error once, not at every apply: the same
// failing cluster is retried at each apply (a transient failure heals),
// but an unchanged error is logged at debug level only. It runs on the
// controller's goroutine.
func (m *Main) logStandinErr(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	switch {
	case msg == m.lastStandinErr && err != nil:
		m.log.Debug("make stand-in api servers: still failing", "err", err)
	case err != nil:
		m.log.Error("make stand-in api servers (clusters without one stay unrouted: connections denied)", "err", err)
	case m.lastStandinErr != "":
		m.log.Info("stand-in api servers made again for every cluster")
	}
	m.lastStandinErr = msg
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
