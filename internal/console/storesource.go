package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// Route is what the front door enforces for one cluster.
type Route struct {
	Name  string          // the gateway route's name (the Recorder key)
	Allow *allowlist.List // compiled list in force
}

// StoreClusters is the ClusterSource of `tagwall serve`: the managed
// clusters the API stored, joined with the routes the controller applied.
type StoreClusters struct {
	Store store.Store
	// Route returns the applied route of a cluster resource ID (nil
	// func or false: none applied).
	Route func(id string) (Route, bool)
	// Server is the kubeconfig server (https://front-door).
	Server func() string
	// SystemRanges are admitted for every cluster.
	SystemRanges []string
}

// Clusters implements ClusterSource.
func (s *StoreClusters) Clusters(ctx context.Context, subs []string) ([]Cluster, error) {
	prefixes := []string{state.ClustersPrefix}
	if subs != nil {
		prefixes = prefixes[:0]
		for _, sub := range subs {
			prefixes = append(prefixes, state.ClustersInSubscriptionPrefix(sub))
		}
	}
	var kvs []store.KV
	for _, p := range prefixes {
		got, _, err := s.Store.List(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("list clusters under %q: %w", p, err)
		}
		kvs = append(kvs, got...)
	}
	server := ""
	if s.Server != nil {
		server = s.Server()
	}
	out := make([]Cluster, 0, len(kvs))
	for _, kv := range kvs {
		var mc state.ManagedCluster
		if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		id := arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name)
		c := Cluster{Subscription: mc.Subscription, ResourceGroup: mc.ResourceGroup, Name: mc.Name,
			Location: mc.Location, State: mc.ProvisioningState, Ranges: mc.Access.AuthorizedIPRanges,
			SystemRanges: s.SystemRanges, Server: server, SNI: strings.ToLower(mc.FQDN), Route: id}
		if s.Route != nil {
			if r, ok := s.Route(id); ok {
				c.Allow, c.Route = r.Allow, r.Name
			}
		}
		if mc.Status.Degraded && mc.Status.Message != "" {
			c.Degraded = strings.Split(mc.Status.Message, "; ")
		}
		out = append(out, c)
	}
	return out, nil
}

var _ ClusterSource = (*StoreClusters)(nil)
