package state

import "strings"

// Prefix starts every key of this package.
const Prefix = "arm/"

// Key prefixes per record kind.
const (
	FeaturesPrefix       = Prefix + "features/"
	ProvidersPrefix      = Prefix + "providers/"
	ResourceGroupsPrefix = Prefix + "resourcegroups/"
	ClustersPrefix       = Prefix + "clusters/"
	OperationsPrefix     = Prefix + "operations/"
)

func low(s string) string { return strings.ToLower(s) }

// FeatureKey is the key of a feature registration.
func FeatureKey(sub, namespace, name string) string {
	return FeaturesPrefix + low(sub) + "/" + low(namespace) + "/" + low(name)
}

// ProviderKey is the key of a provider registration.
func ProviderKey(sub, namespace string) string {
	return ProvidersPrefix + low(sub) + "/" + low(namespace)
}

// ResourceGroupKey is the key of a resource group.
func ResourceGroupKey(sub, rg string) string {
	return ResourceGroupsPrefix + low(sub) + "/" + low(rg)
}

// ClusterKey is the key of a managed cluster.
func ClusterKey(sub, rg, name string) string {
	return ClustersPrefix + low(sub) + "/" + low(rg) + "/" + low(name)
}

// ClustersInGroupPrefix lists a group's clusters.
func ClustersInGroupPrefix(sub, rg string) string {
	return ClustersPrefix + low(sub) + "/" + low(rg) + "/"
}

// ClustersInSubscriptionPrefix lists a subscription's clusters.
func ClustersInSubscriptionPrefix(sub string) string {
	return ClustersPrefix + low(sub) + "/"
}

// OperationKey is the key of an async operation.
func OperationKey(id string) string { return OperationsPrefix + low(id) }
