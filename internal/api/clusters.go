package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

const clusterType = "Microsoft.ContainerService/managedClusters"

func (s *server) registerClusters() {
	v := arm.ManagedClustersVersions
	const cs = "subscriptions/{sub}/providers/Microsoft.ContainerService/"
	const one = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
	s.add(http.MethodGet, cs+"managedClusters", v, s.listClusters)
	s.add(http.MethodGet, "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters", v, s.listClusters)
	s.add(http.MethodPut, one, v, s.putCluster)
	s.add(http.MethodGet, one, v, s.getCluster)
	s.add(http.MethodDelete, one, v, s.deleteCluster)
	s.add(http.MethodPatch, one, v, s.patchClusterTags)
	s.add(http.MethodPost, one+"/listClusterUserCredential", v, s.userCredential)
	s.add(http.MethodPost, one+"/listClusterAdminCredential", v, s.adminCredential)
	s.add(http.MethodPost, one+"/listClusterMonitoringUserCredential", v, s.monitoringCredential)
	s.add(http.MethodGet, cs+"locations/{loc}/operations/{op}", v, s.getOperation)
	s.add(http.MethodGet, cs+"locations/{loc}/operationresults/{op}", v, s.getOperationResult)
}

// loadCluster reads the cluster; rev 0 when absent.
func (s *server) loadCluster(c *call) (state.ManagedCluster, int64, error) {
	var mc state.ManagedCluster
	rev, err := s.getRecord(c.r.Context(), state.ClusterKey(c.v("sub"), c.v("rg"), c.v("name")), &mc)
	return mc, rev, err
}

func (s *server) notFound(c *call) error {
	return arm.ResourceNotFound(clusterType, c.v("name"), c.v("rg"))
}

func (s *server) getCluster(c *call) error {
	mc, rev, err := s.existingCluster(c)
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", `"`+etagOf(rev)+`"`)
	arm.WriteJSON(c.w, http.StatusOK, clusterJSON(&mc, etagOf(rev)))
	return nil
}

func (s *server) listClusters(c *call) error {
	out := []map[string]any{}
	err := s.eachCluster(c, func(mc *state.ManagedCluster, rev int64) {
		out = append(out, clusterJSON(mc, etagOf(rev)))
	})
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// featureInForce reports whether the subscription's Microsoft.ContainerService
// feature flag (state.FeatureServiceTags, state.FeatureExternalTags) is
// Registered and was propagated by a later provider registration, and
// whether the flag alone is Registered (the two gates AKS answers
// differently).
func (s *server) featureInForce(c *call, feature string) (enabled, registered bool, err error) {
	var f state.Feature
	var p state.Provider
	frev, err := s.getRecord(c.r.Context(), state.FeatureKey(c.v("sub"), state.ContainerService, feature), &f)
	if err != nil || frev == 0 {
		return false, false, err
	}
	fe := f.Effective(s.now())
	registered = fe.State == state.FeatureRegistered
	prev, err := s.getRecord(c.r.Context(), state.ProviderKey(c.v("sub"), state.ContainerService), &p)
	if err != nil || prev == 0 {
		return false, registered, err
	}
	return state.ServiceTagsEnabled(&fe, &p), registered, nil
}

// defaultDNSPrefix mirrors az's _get_default_dns_prefix:
// name[:10]-group[:16]-sub[:6] with everything but letters, digits and
// hyphens removed, and an "a" in front of a name part that does not start
// with a letter. The result always passes validDNSPrefix.
func defaultDNSPrefix(name, rg, sub string) string {
	clean := func(s string, n int) string {
		s = strings.Map(func(r rune) rune {
			if r < utf8.RuneSelf && (alnum(byte(r)) || r == '-') {
				return r
			}
			return -1
		}, s)
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	namePart := clean(name, 10)
	if namePart == "" || !unicode.IsLetter(rune(namePart[0])) {
		namePart = clean("a"+namePart, 10)
	}
	return namePart + "-" + clean(rg, 16) + "-" + clean(sub, 6)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *server) deleteCluster(c *call) error {
	if _, _, err := s.loadGroup(c); err != nil {
		return err
	}
	mc, rev, err := s.loadCluster(c)
	if err != nil {
		return err
	}
	if rev == 0 {
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := checkPreconditions(c.r, rev); err != nil {
		return err
	}
	op, err := s.markDeleting(c, &mc, rev)
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, true)
	c.w.WriteHeader(http.StatusAccepted)
	return nil
}

// markDeleting moves a cluster to Deleting with a delete operation; the
// controller removes the route and then the record.
func (s *server) markDeleting(c *call, mc *state.ManagedCluster, rev int64) (*state.Operation, error) {
	if mc.ProvisioningState == state.Deleting && mc.OperationID != "" {
		var op state.Operation
		if orev, err := s.getRecord(c.r.Context(), state.OperationKey(mc.OperationID), &op); err == nil && orev != 0 {
			return &op, nil
		}
	}
	mc.ProvisioningState, mc.UpdatedAt = state.Deleting, s.now()
	op := s.newOperation(c, mc, state.OpDelete)
	if _, err := s.writeWithOperation(c, mc, rev, op); err != nil {
		return nil, err
	}
	return op, nil
}

func (s *server) patchClusterTags(c *call) error {
	var req struct {
		Tags map[string]string `json:"tags"`
	}
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	if _, _, err := s.loadGroup(c); err != nil {
		return err
	}
	var mc state.ManagedCluster
	var newRev int64
	err := retry(func() error {
		m, rev, err := s.loadCluster(c)
		if err != nil {
			return err
		}
		if rev == 0 {
			return s.notFound(c)
		}
		if err := checkPreconditions(c.r, rev); err != nil {
			return err
		}
		m.Tags, m.UpdatedAt = req.Tags, s.now()
		mc = m
		newRev, err = s.putRecord(c.r.Context(), state.ClusterKey(c.v("sub"), c.v("rg"), c.v("name")), rev, m)
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", `"`+etagOf(newRev)+`"`)
	arm.WriteJSON(c.w, http.StatusOK, clusterJSON(&mc, etagOf(newRev)))
	return nil
}

// eachCluster calls f with every cluster of the call's subscription, or of
// its resource group when the route names one (which must exist), and the
// record's revision.
func (s *server) eachCluster(c *call, f func(mc *state.ManagedCluster, rev int64)) error {
	prefix := state.ClustersInSubscriptionPrefix(c.v("sub"))
	if c.v("rg") != "" {
		if _, _, err := s.loadGroup(c); err != nil {
			return err
		}
		prefix = state.ClustersInGroupPrefix(c.v("sub"), c.v("rg"))
	}
	kvs, _, err := s.cfg.Store.List(c.r.Context(), prefix)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		var mc state.ManagedCluster
		if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
			return err
		}
		f(&mc, kv.ModRevision)
	}
	return nil
}
