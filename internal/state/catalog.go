package state

import "strings"

// Feature names tagwall knows.
const (
	ContainerService          = "Microsoft.ContainerService"
	FeatureServiceTags        = "EnableServiceTagAuthorizedIPPreview"
	FeatureVnetIntegration    = "EnableAPIServerVnetIntegrationPreview"
	ServiceTagFeatureFullName = ContainerService + "/" + FeatureServiceTags
	// FeatureExternalTags is tagwall's preview feature for tags of other
	// clouds' published ranges (GitHub, AWS, …) in a managed cluster's list.
	FeatureExternalTags = "EnableExternalServiceTagsPreview"
)

// KnownFeatures lists the features per namespace, in display casing.
var KnownFeatures = map[string][]string{
	ContainerService: {FeatureServiceTags, FeatureExternalTags, FeatureVnetIntegration, "AKS-ExtensionManager", "PodSecurityPolicyPreview"},
}

// LookupFeature returns the canonical namespace and feature names.
func LookupFeature(namespace, name string) (ns, feature string, ok bool) {
	for n, fs := range KnownFeatures {
		if !strings.EqualFold(n, namespace) {
			continue
		}
		for _, f := range fs {
			if strings.EqualFold(f, name) {
				return n, f, true
			}
		}
	}
	return "", "", false
}

// ResourceType is one type a provider serves.
type ResourceType struct {
	ResourceType string
	Locations    []string
	APIVersions  []string
}

// ProviderInfo describes a provider namespace tagwall serves.
type ProviderInfo struct {
	Namespace string
	// RegistrationFree providers are always Registered.
	RegistrationFree bool
	Types            []ResourceType
}

// Locations tagwall accepts.
var Locations = []string{"East US", "East US 2", "West US", "West US 2", "West Europe", "North Europe"}

// KnownProviders lists the provider namespaces tagwall serves.
var KnownProviders = []ProviderInfo{
	{Namespace: ContainerService, Types: []ResourceType{
		{"managedClusters", Locations, []string{"2025-02-01", "2024-09-01", "2022-11-01"}},
		{"locations/operations", Locations, []string{"2025-02-01", "2024-09-01", "2022-11-01"}},
		{"locations/operationresults", Locations, []string{"2025-02-01", "2024-09-01", "2022-11-01"}},
	}},
	{Namespace: "Microsoft.Network", Types: []ResourceType{
		{"locations/serviceTags", Locations, []string{"2025-01-01", "2023-09-01", "2022-01-01"}},
	}},
	{Namespace: "Microsoft.Features", RegistrationFree: true, Types: []ResourceType{
		{"features", nil, []string{"2021-07-01", "2015-12-01"}},
	}},
	{Namespace: "Microsoft.Resources", RegistrationFree: true, Types: []ResourceType{
		{"resourceGroups", Locations, []string{"2022-09-01", "2021-04-01"}},
	}},
}

// LookupProvider returns the provider for a namespace, case-insensitively.
func LookupProvider(namespace string) (ProviderInfo, bool) {
	for _, p := range KnownProviders {
		if strings.EqualFold(p.Namespace, namespace) {
			return p, true
		}
	}
	return ProviderInfo{}, false
}

// ServiceTagsEnabled reports whether a subscription may use service tags:
// the feature is Registered and the provider was registered after the
// feature reached Registered (that is how AKS propagates a flag). It is the
// rule for every preview feature of the provider, FeatureExternalTags too.
func ServiceTagsEnabled(f *Feature, p *Provider) bool {
	if f == nil || p == nil || f.State != FeatureRegistered || p.State != ProviderRegistered {
		return false
	}
	return p.RegisteredAt.After(f.RegisteredAt)
}
