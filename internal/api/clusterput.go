package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
)

// putCluster creates or replaces a managed cluster. The body must be an
// object with properties (arm.ReadJSON, parseClusterProperties); the name
// (on create) and the location, versions, dnsPrefix and nodeResourceGroup
// (when they change) are validated; a create counts against
// MaxClustersPerSubscription. See resolveAccess for what an update without
// an access profile means.
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
		exists := rev != 0
		if err := s.checkClusterPut(c, &req, sp, &old, rev); err != nil {
			return err
		}
		access := resolveAccess(sp, &old, exists)
		ranges, err := s.validateRanges(c, access, sp.networkProfile)
		if err != nil {
			return err
		}
		if g := guardOptions(c.r, false); g.dryRun || (g.on && exists && !slices.Equal(ranges, old.Access.AuthorizedIPRanges)) {
			if err := s.guard(c, g, &old, ranges); err != nil {
				return err
			}
		}
		mc = s.desiredCluster(c, &req, sp, access, ranges, &old, exists)
		op = s.newOperation(c, &mc, state.OpCreate)
		status = http.StatusCreated
		if exists {
			op.Kind, status = state.OpUpdate, http.StatusOK
		}
		write := func() error {
			newRev, err = s.writeWithOperation(c, &mc, rev, op)
			if err != nil && c.r.Header.Get("If-Match") != "" && errors.Is(err, store.ErrConflict) {
				return arm.Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
					"The condition specified by the If-Match or If-None-Match header was not met.")
			}
			return err
		}
		if exists {
			return write()
		}
		return s.createWithin(c.r.Context(), clusterQuota, c.v("sub"), write)
	})
	if errors.Is(err, errDryRun) {
		return nil // the preview is written
	}
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, false)
	c.w.Header().Set("ETag", `"`+etagOf(newRev)+`"`)
	arm.WriteJSON(c.w, status, clusterJSON(&mc, etagOf(newRev)))
	return nil
}

// checkClusterPut applies the preconditions and validates what the PUT
// sets. A value equal to the stored one is not re-checked, so a cluster
// whose version later left the supported list can still be updated. Every
// invalid field is reported: the first as the error, the others in its
// details.
func (s *server) checkClusterPut(c *call, req *clusterRequest, sp *clusterSpec, old *state.ManagedCluster, rev int64) error {
	if err := checkPreconditions(c.r, rev); err != nil {
		return err
	}
	exists := rev != 0
	if exists && old.ProvisioningState == state.Deleting {
		return arm.Errorf(http.StatusConflict, "OperationNotAllowed",
			"Operation is not allowed: the managed cluster '%s' is being deleted.", c.v("name"))
	}
	var errs []error
	if !exists {
		errs = append(errs, validClusterName(c.v("name")))
		if req.Location == "" {
			errs = append(errs, arm.Errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition."))
		}
	}
	changed := func(v, stored string) bool { return v != "" && !(exists && v == stored) }
	if (!exists && req.Location != "") || changed(aksref.NormalizeLocation(req.Location), old.Location) {
		errs = append(errs, s.checkLocation(req.Location, false))
	}
	if changed(sp.kubernetesVersion, old.KubernetesVersion) {
		errs = append(errs, checkKubernetesVersion("K8sVersionNotSupported", "properties.kubernetesVersion", sp.kubernetesVersion))
	}
	if changed(sp.dnsPrefix, old.DNSPrefix) {
		errs = append(errs, validDNSPrefix(sp.dnsPrefix))
	}
	if changed(sp.nodeResourceGroup, old.NodeResourceGroup) {
		errs = append(errs, validResourceGroupName("InvalidParameter", "properties.nodeResourceGroup", sp.nodeResourceGroup))
	}
	errs = append(errs, checkPoolVersions(sp.agentPools, old, exists)...)
	return firstWithDetails(errs)
}

// firstWithDetails returns nil when every err is nil, else the first
// *arm.Error with the later ones appended to its details.
func firstWithDetails(errs []error) error {
	var top *arm.Error
	for _, err := range errs {
		var ae *arm.Error
		if !errors.As(err, &ae) {
			continue
		}
		if top == nil {
			top = ae
			continue
		}
		top.Details = append(top.Details, ae)
	}
	if top == nil {
		return nil
	}
	return top
}

// checkPoolVersions validates each pool's orchestratorVersion that is set
// and not one the stored cluster already runs.
func checkPoolVersions(pools []map[string]any, old *state.ManagedCluster, exists bool) []error {
	var errs []error
	for i, p := range pools {
		v, set := p["orchestratorVersion"]
		if !set || v == nil || v == "" {
			continue
		}
		target := fmt.Sprintf("properties.agentPoolProfiles[%d].orchestratorVersion", i)
		str, ok := v.(string)
		if !ok {
			errs = append(errs, &arm.Error{Status: http.StatusBadRequest, Code: "InvalidRequestContent", Target: target,
				Message: fmt.Sprintf("The request content was invalid: '%s' must be a string.", target)})
			continue
		}
		if exists && (str == old.KubernetesVersion || slices.ContainsFunc(old.AgentPools, func(q map[string]any) bool { return q["orchestratorVersion"] == str })) {
			continue
		}
		errs = append(errs, checkKubernetesVersion("AgentPoolK8sVersionNotSupported", target, str))
	}
	return errs
}

// resolveAccess returns the access profile a PUT asks for. On an existing
// cluster an absent or null apiServerAccessProfile keeps the stored
// profile, and an absent or null authorizedIPRanges keeps the stored list:
// only an explicit [] (or one blank entry, what az sends for "") disables
// it, so a malformed or partial body never opens a list. This departs from
// a literal "PUT replaces" reading on purpose (az's update also reads None
// as "leave unchanged"). On a create, "not specified" means no list.
func resolveAccess(sp *clusterSpec, old *state.ManagedCluster, exists bool) accessRequest {
	if !sp.accessSet {
		if !exists {
			return accessRequest{}
		}
		a := old.Access
		ranges := slices.Clone(a.AuthorizedIPRanges)
		return accessRequest{AuthorizedIPRanges: &ranges, EnablePrivateCluster: a.EnablePrivateCluster,
			EnableVnetIntegration: a.EnableVnetIntegration, SubnetID: a.SubnetID, PrivateDNSZone: a.PrivateDNSZone,
			EnablePrivateClusterPublicFQDN: a.EnablePrivateClusterPublicFQDN, DisableRunCommand: a.DisableRunCommand}
	}
	a := sp.access
	if a.AuthorizedIPRanges == nil && exists {
		ranges := slices.Clone(old.Access.AuthorizedIPRanges)
		a.AuthorizedIPRanges = &ranges
	}
	return a
}

// validateRanges checks the list with rangespec's server rules and returns
// the normalised list (nil: no list, or disabled).
func (s *server) validateRanges(c *call, access accessRequest, networkProfile map[string]any) ([]string, error) {
	var list []string
	if access.AuthorizedIPRanges != nil {
		list = *access.AuthorizedIPRanges
	}
	if len(list) == 1 && strings.TrimSpace(list[0]) == "" {
		return nil, nil // az's --api-server-authorized-ip-ranges "   " arrives as [""]
	}
	opts, err := s.listOptions(c, access.EnableVnetIntegration, access.EnablePrivateCluster)
	if err != nil {
		return nil, err
	}
	spec, err := rangespec.ParseList(list, opts)
	if err != nil {
		return nil, err
	}
	if spec.Disabled {
		return nil, nil
	}
	if lb, _ := networkProfile["loadBalancerSku"].(string); strings.EqualFold(lb, "basic") {
		return nil, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"API server authorized IP ranges can only be used with a standard load balancer.")
	}
	return spec.Strings(), nil
}

// listOptions returns the rangespec options a cluster's lists (its
// authorized ranges and its shadow list) are validated with: server rules,
// the service-tag and external-tag features as in force for the call's
// subscription, the cluster's VNet integration and private-cluster
// settings, and the catalog in force.
func (s *server) listOptions(c *call, vnetIntegration, privateCluster bool) (rangespec.Options, error) {
	enabled, registered, err := s.featureInForce(c, state.FeatureServiceTags)
	if err != nil {
		return rangespec.Options{}, err
	}
	external, externalRegistered, err := s.featureInForce(c, state.FeatureExternalTags)
	if err != nil {
		return rangespec.Options{}, err
	}
	opts := rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: enabled, FeatureRegistered: registered,
		ExternalTagsEnabled: external, ExternalFeatureRegistered: externalRegistered,
		VnetIntegration: vnetIntegration, PrivateCluster: privateCluster,
		TagsWithVnetIntegration: s.cfg.ServiceTagsWithVnetIntegration}
	if cat := s.cfg.Catalog(); cat != nil {
		opts.Tags = cat
	}
	return opts, nil
}

// desiredCluster builds the record a PUT asks for; identities, location,
// FQDN and the node resource group of an existing cluster are kept.
func (s *server) desiredCluster(c *call, req *clusterRequest, sp *clusterSpec, access accessRequest, ranges []string, old *state.ManagedCluster, exists bool) state.ManagedCluster {
	now := s.now()
	mc := state.ManagedCluster{Subscription: c.v("sub"), ResourceGroup: c.v("rg"), Name: c.v("name"),
		Location: aksref.NormalizeLocation(req.Location), CreatedAt: now, TenantID: "00000000-0000-0000-0000-000000000000",
		PrincipalID: uuid.NewString(), KubeletID: uuid.NewString()}
	if exists {
		mc.Subscription, mc.ResourceGroup, mc.Name = old.Subscription, old.ResourceGroup, old.Name
		mc.Location, mc.CreatedAt, mc.FQDN, mc.NodeResourceGroup = old.Location, old.CreatedAt, old.FQDN, old.NodeResourceGroup
		mc.PrincipalID, mc.KubeletID, mc.TenantID = old.PrincipalID, old.KubeletID, old.TenantID
		mc.Generation, mc.AppliedGeneration, mc.Status = old.Generation, old.AppliedGeneration, old.Status
		mc.Grants, mc.ShadowRanges = old.Grants, old.ShadowRanges // tagwall extensions survive an AKS PUT
		mc.PowerState = old.PowerState
	}
	mc.Tags, mc.SKU, mc.UpdatedAt = req.Tags, req.SKU, now
	setIdentity(&mc, req, sp)
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
	mc.NetworkProfile = defaultNetwork(sp.networkProfile)
	mc.AgentPools = defaultPools(sp.agentPools, mc.KubernetesVersion, mc.NetworkProfile)
	mc.Access = state.AccessProfile{AuthorizedIPRanges: ranges, EnablePrivateCluster: access.EnablePrivateCluster,
		EnableVnetIntegration: access.EnableVnetIntegration, SubnetID: access.SubnetID, PrivateDNSZone: access.PrivateDNSZone,
		EnablePrivateClusterPublicFQDN: access.EnablePrivateClusterPublicFQDN, DisableRunCommand: access.DisableRunCommand}
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
