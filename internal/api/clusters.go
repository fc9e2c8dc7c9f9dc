package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
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
	if _, _, err := s.loadGroup(c); err != nil {
		return err
	}
	mc, rev, err := s.loadCluster(c)
	if err != nil {
		return err
	}
	if rev == 0 {
		return s.notFound(c)
	}
	c.w.Header().Set("ETag", `"`+etagOf(rev)+`"`)
	arm.WriteJSON(c.w, http.StatusOK, clusterJSON(&mc, etagOf(rev)))
	return nil
}

func (s *server) listClusters(c *call) error {
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
	out := []map[string]any{}
	for _, kv := range kvs {
		var mc state.ManagedCluster
		if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
			return err
		}
		out = append(out, clusterJSON(&mc, etagOf(kv.ModRevision)))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// serviceTagsEnabled reports whether the subscription's feature flag is
// Registered and was propagated by a later provider registration.
func (s *server) serviceTagsEnabled(c *call) (bool, error) {
	var f state.Feature
	var p state.Provider
	frev, err := s.getRecord(c.r.Context(), state.FeatureKey(c.v("sub"), state.ContainerService, state.FeatureServiceTags), &f)
	if err != nil || frev == 0 {
		return false, err
	}
	prev, err := s.getRecord(c.r.Context(), state.ProviderKey(c.v("sub"), state.ContainerService), &p)
	if err != nil || prev == 0 {
		return false, err
	}
	fe := f.Effective(s.now())
	return state.ServiceTagsEnabled(&fe, &p), nil
}

// validateRanges checks the requested list with rangespec's server rules
// and returns the normalised list (nil: disabled).
func (s *server) validateRanges(c *call, sp *clusterSpec) ([]string, error) {
	enabled, err := s.serviceTagsEnabled(c)
	if err != nil {
		return nil, err
	}
	opts := rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: enabled,
		VnetIntegration: sp.access.EnableVnetIntegration, PrivateCluster: sp.access.EnablePrivateCluster}
	if cat := s.cfg.Catalog(); cat != nil {
		opts.Tags = cat
	}
	spec, err := rangespec.ParseList(sp.access.AuthorizedIPRanges, opts)
	if err != nil {
		return nil, err
	}
	if spec.Disabled {
		return nil, nil
	}
	if lb, _ := sp.networkProfile["loadBalancerSku"].(string); strings.EqualFold(lb, "basic") {
		return nil, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"API server authorized IP ranges can only be used with a standard load balancer.")
	}
	return spec.Strings(), nil
}

func (s *server) putCluster(c *call) error {
	var req clusterRequest
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	if _, _, err := s.loadGroup(c); err != nil {
		return err
	}
	sp, err := parseClusterProperties(req.Properties)
	if err != nil {
		return err
	}
	var (
		mc     state.ManagedCluster
		op     *state.Operation
		status int
		newRev int64
	)
	// Without If-Match a conflict (e.g. the controller recording a status)
	// is retried on a fresh read; with If-Match it is the caller's 412.
	err = retry(func() error {
		old, rev, err := s.loadCluster(c)
		if err != nil {
			return err
		}
		if err := checkPreconditions(c.r, rev); err != nil {
			return err
		}
		if rev != 0 && old.ProvisioningState == state.Deleting {
			return arm.Errorf(http.StatusConflict, "OperationNotAllowed",
				"Operation is not allowed: the managed cluster '%s' is being deleted.", c.v("name"))
		}
		if req.Location == "" && rev == 0 {
			return arm.Errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		}
		ranges, err := s.validateRanges(c, sp)
		if err != nil {
			return err
		}
		mc = s.desiredCluster(c, &req, sp, ranges, &old, rev != 0)
		op = s.newOperation(c, &mc, state.OpCreate)
		status = http.StatusCreated
		if rev != 0 {
			op.Kind, status = state.OpUpdate, http.StatusOK
		}
		newRev, err = s.writeWithOperation(c, &mc, rev, op)
		if err != nil && c.r.Header.Get("If-Match") != "" && errors.Is(err, store.ErrConflict) {
			return arm.Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
				"The condition specified by the If-Match or If-None-Match header was not met.")
		}
		return err
	})
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, false)
	c.w.Header().Set("ETag", `"`+etagOf(newRev)+`"`)
	arm.WriteJSON(c.w, status, clusterJSON(&mc, etagOf(newRev)))
	return nil
}

// desiredCluster builds the record a PUT asks for; identities, FQDN and the
// node resource group of an existing cluster are kept.
func (s *server) desiredCluster(c *call, req *clusterRequest, sp *clusterSpec, ranges []string, old *state.ManagedCluster, exists bool) state.ManagedCluster {
	now := s.now()
	mc := state.ManagedCluster{Subscription: c.v("sub"), ResourceGroup: c.v("rg"), Name: c.v("name"),
		Location: normLocation(req.Location), CreatedAt: now, TenantID: "00000000-0000-0000-0000-000000000000",
		PrincipalID: uuid.NewString(), KubeletID: uuid.NewString()}
	if exists {
		mc.Subscription, mc.ResourceGroup, mc.Name = old.Subscription, old.ResourceGroup, old.Name
		mc.Location, mc.CreatedAt, mc.FQDN, mc.NodeResourceGroup = old.Location, old.CreatedAt, old.FQDN, old.NodeResourceGroup
		mc.PrincipalID, mc.KubeletID, mc.TenantID = old.PrincipalID, old.KubeletID, old.TenantID
		mc.Generation, mc.AppliedGeneration, mc.Status = old.Generation, old.AppliedGeneration, old.Status
	}
	mc.Tags, mc.SKU, mc.UpdatedAt = req.Tags, req.SKU, now
	mc.IdentityType = "SystemAssigned"
	if req.Identity != nil && req.Identity.Type != "" {
		mc.IdentityType = req.Identity.Type
	}
	mc.KubernetesVersion = sp.kubernetesVersion
	if mc.KubernetesVersion == "" {
		mc.KubernetesVersion = s.cfg.DefaultKubernetesVersion
	}
	mc.DNSPrefix = sp.dnsPrefix
	if mc.DNSPrefix == "" {
		mc.DNSPrefix = defaultDNSPrefix(mc.Name, mc.ResourceGroup, mc.Subscription)
	}
	if mc.FQDN == "" {
		mc.FQDN = strings.ToLower(mc.DNSPrefix) + "-" + randomHex(4) + "." + mc.Location + "." + s.cfg.DNSSuffix
	}
	if mc.NodeResourceGroup == "" {
		mc.NodeResourceGroup = sp.nodeResourceGroup
		if mc.NodeResourceGroup == "" {
			mc.NodeResourceGroup = "MC_" + mc.ResourceGroup + "_" + mc.Name + "_" + mc.Location
		}
	}
	mc.AgentPools = defaultPools(sp.agentPools, mc.KubernetesVersion)
	mc.NetworkProfile = defaultNetwork(sp.networkProfile, "/subscriptions/"+mc.Subscription+"/resourceGroups/"+
		mc.NodeResourceGroup+"/providers/Microsoft.Network/publicIPAddresses/"+mc.Name+"-outbound")
	mc.Access = state.AccessProfile{AuthorizedIPRanges: ranges, EnablePrivateCluster: sp.access.EnablePrivateCluster,
		EnableVnetIntegration: sp.access.EnableVnetIntegration, SubnetID: sp.access.SubnetID, PrivateDNSZone: sp.access.PrivateDNSZone,
		EnablePrivateClusterPublicFQDN: sp.access.EnablePrivateClusterPublicFQDN, DisableRunCommand: sp.access.DisableRunCommand}
	if len(sp.extra) > 0 {
		mc.Extra = sp.extra
	}
	mc.Generation++
	mc.ProvisioningState = state.Creating
	if exists {
		mc.ProvisioningState = state.Updating
	}
	return mc
}

// defaultDNSPrefix mirrors az: name[:10]-group[:16]-sub[:6].
func defaultDNSPrefix(name, rg, sub string) string {
	clip := func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	return clip(name, 10) + "-" + clip(rg, 16) + "-" + clip(sub, 6)
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
