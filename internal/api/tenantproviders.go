package api

import (
	"net/http"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerTenantProviders() {
	v := arm.ResourcesVersions
	s.add(http.MethodGet, "providers", v, s.listTenantProviders)
	s.add(http.MethodGet, "providers/{ns}", v, s.getTenantProvider)
	s.add(http.MethodGet, "providers/Microsoft.ContainerService/operations", arm.ManagedClustersVersions,
		s.listOperations(containerServiceOperations))
}

// tenantProvider is a Provider at tenant scope: no subscription, so no
// registration state.
type tenantProvider struct {
	ID            string               `json:"id"`
	Namespace     string               `json:"namespace"`
	ResourceTypes []tenantResourceType `json:"resourceTypes"`
}

// tenantResourceType is a ProviderResourceType with its default version
// (the newest tagwall accepts). $expand's aliases and apiProfiles are not
// modelled.
type tenantResourceType struct {
	resourceTypeBody
	DefaultAPIVersion string `json:"defaultApiVersion"`
}

func tenantProviderJSON(info state.ProviderInfo) tenantProvider {
	b := providerJSON("", info, state.Provider{})
	out := tenantProvider{ID: "/providers/" + info.Namespace, Namespace: info.Namespace, ResourceTypes: []tenantResourceType{}}
	for _, t := range b.ResourceTypes {
		def := ""
		if len(t.APIVersions) > 0 {
			def = t.APIVersions[0]
		}
		out.ResourceTypes = append(out.ResourceTypes, tenantResourceType{t, def})
	}
	return out
}

func (s *server) getTenantProvider(c *call) error {
	info, ok := state.LookupProvider(c.v("ns"))
	if !ok {
		return arm.Errorf(http.StatusNotFound, "InvalidResourceNamespace", "The resource namespace '%s' is invalid.", arm.Printable(c.v("ns")))
	}
	arm.WriteJSON(c.w, http.StatusOK, tenantProviderJSON(info))
	return nil
}

func (s *server) listTenantProviders(c *call) error {
	out := make([]tenantProvider, 0, len(state.KnownProviders))
	for _, info := range state.KnownProviders {
		out = append(out, tenantProviderJSON(info))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func csOp(name, resource, op, desc string) operation {
	return operation{Name: "Microsoft.ContainerService/" + name, Origin: "user,system",
		Display: operationDisplay{Provider: "Microsoft Container Service", Resource: resource, Operation: op, Description: desc}}
}

// containerServiceOperations are the Microsoft.ContainerService operations
// tagwall serves, named and described as AKS's operations list does.
var containerServiceOperations = []operation{
	csOp("locations/operations/read", "Operation", "Get Operation", "Gets the status of an asynchronous operation"),
	csOp("locations/operationresults/read", "OperationResult", "Get Operation Result", "Gets the status of an asynchronous operation result"),
	csOp("operations/read", "Available Container Service Operations", "List Available Container Service Operations", "Lists operations available on Microsoft.ContainerService resource provider"),
	csOp("register/action", "Container Service Register Subscription", "Register Subscription for Container Service", "Registers Subscription with Microsoft.ContainerService resource provider"),
	csOp("unregister/action", "Container Service Unregister Subscription", "Unregister Subscription for Container Service", "Unregisters Subscription with Microsoft.ContainerService resource provider"),
	csOp("managedClusters/read", "Managed Clusters", "Get Managed Cluster", "Get a managed cluster"),
	csOp("managedClusters/write", "Managed Clusters", "Create or Update Managed Cluster", "Creates a new managed cluster or updates an existing one"),
	csOp("managedClusters/delete", "Managed Clusters", "Delete Managed Cluster", "Deletes a managed cluster"),
	csOp("managedClusters/listClusterAdminCredential/action", "Managed Clusters", "List clusterAdmin credential", "List the clusterAdmin credential of a managed cluster"),
	csOp("managedClusters/listClusterUserCredential/action", "Managed Clusters", "List clusterUser credential", "List the clusterUser credential of a managed cluster"),
}
