package state

import (
	"encoding/json"
	"fmt"
	"time"
)

// Feature states (Microsoft.Features).
const (
	FeatureNotRegistered = "NotRegistered"
	FeatureRegistering   = "Registering"
	FeatureRegistered    = "Registered"
	FeatureUnregistering = "Unregistering"
	FeatureUnregistered  = "Unregistered"
)

// Provider states.
const (
	ProviderNotRegistered = "NotRegistered"
	ProviderRegistering   = "Registering"
	ProviderRegistered    = "Registered"
	ProviderUnregistered  = "Unregistered"
)

// Provisioning states of a managed cluster.
const (
	Creating  = "Creating"
	Updating  = "Updating"
	Succeeded = "Succeeded"
	Failed    = "Failed"
	Deleting  = "Deleting"
	Stopping  = "Stopping"
	Starting  = "Starting"
)

// Power states of a managed cluster (properties.powerState.code).
const (
	PowerRunning = "Running"
	PowerStopped = "Stopped"
)

// Feature is one subscription's registration of a preview feature. A
// transition (Registering, Unregistering) completes at Deadline; the
// deadline is stored so a restart resumes the timer.
type Feature struct {
	Subscription string    `json:"subscription"`
	Namespace    string    `json:"namespace"`
	Name         string    `json:"name"`
	State        string    `json:"state"`
	Deadline     time.Time `json:"deadline,omitzero"`
	RegisteredAt time.Time `json:"registeredAt,omitzero"` // when it reached Registered
}

// Effective returns the feature as it is at now: a transition whose
// deadline has passed is complete even if the controller has not written it
// yet.
func (f Feature) Effective(now time.Time) Feature {
	if f.Deadline.IsZero() || now.Before(f.Deadline) {
		return f
	}
	switch f.State {
	case FeatureRegistering:
		f.State, f.RegisteredAt, f.Deadline = FeatureRegistered, f.Deadline, time.Time{}
	case FeatureUnregistering:
		f.State, f.RegisteredAt, f.Deadline = FeatureUnregistered, time.Time{}, time.Time{}
	}
	return f
}

// Provider is one subscription's registration of a resource provider.
type Provider struct {
	Subscription string    `json:"subscription"`
	Namespace    string    `json:"namespace"`
	State        string    `json:"state"`
	RegisteredAt time.Time `json:"registeredAt,omitzero"` // last register call
}

// ResourceGroup is a resource group.
type ResourceGroup struct {
	Subscription string            `json:"subscription"`
	Name         string            `json:"name"`
	Location     string            `json:"location"`
	Tags         map[string]string `json:"tags,omitempty"`
	ManagedBy    string            `json:"managedBy,omitempty"`
	CreatedAt    time.Time         `json:"createdAt"`
}

// AccessProfile is properties.apiServerAccessProfile. AuthorizedIPRanges
// holds the normalised list (bare IPs as /32, canonical tag names); empty
// means disabled.
type AccessProfile struct {
	AuthorizedIPRanges             []string `json:"authorizedIPRanges,omitempty"`
	EnablePrivateCluster           bool     `json:"enablePrivateCluster,omitempty"`
	EnableVnetIntegration          bool     `json:"enableVnetIntegration,omitempty"`
	SubnetID                       string   `json:"subnetId,omitempty"`
	PrivateDNSZone                 string   `json:"privateDNSZone,omitempty"`
	EnablePrivateClusterPublicFQDN *bool    `json:"enablePrivateClusterPublicFQDN,omitempty"`
	DisableRunCommand              *bool    `json:"disableRunCommand,omitempty"`
}

// ClusterStatus is what the controller enforces for a cluster.
type ClusterStatus struct {
	EnforcedServiceTags map[string]int64 `json:"enforcedServiceTags,omitempty"` // tag → changeNumber in force
	Degraded            bool             `json:"degraded"`
	Message             string           `json:"message,omitempty"`
}

// ManagedCluster is the desired state of one managed cluster, plus what the
// controller last applied. Generation increments on every PUT; the
// controller sets AppliedGeneration once the route for Generation is
// installed.
type ManagedCluster struct {
	Subscription      string                     `json:"subscription"`
	ResourceGroup     string                     `json:"resourceGroup"`
	Name              string                     `json:"name"`
	Location          string                     `json:"location"`
	Tags              map[string]string          `json:"tags,omitempty"`
	SKU               json.RawMessage            `json:"sku,omitempty"`
	IdentityType      string                     `json:"identityType,omitempty"`
	KubernetesVersion string                     `json:"kubernetesVersion"`
	DNSPrefix         string                     `json:"dnsPrefix"`
	FQDN              string                     `json:"fqdn"`
	NodeResourceGroup string                     `json:"nodeResourceGroup"`
	AgentPools        []map[string]any           `json:"agentPools,omitempty"`
	NetworkProfile    map[string]any             `json:"networkProfile,omitempty"`
	Access            AccessProfile              `json:"access"`
	Extra             map[string]json.RawMessage `json:"extra,omitempty"` // other properties, echoed back
	// UserAssignedIdentities are a UserAssigned identity's resource ids,
	// as sent (IdentityType is "" for a service-principal cluster).
	UserAssignedIdentities []string `json:"userAssignedIdentities,omitempty"`
	// PowerState is PowerStopped after aks stop ("" and PowerRunning:
	// running). A stopped cluster's route admits nobody.
	PowerState string `json:"powerState,omitempty"`
	// Generated identities (stable for the cluster's life).
	PrincipalID string `json:"principalId"`
	TenantID    string `json:"tenantId"`
	KubeletID   string `json:"kubeletId"`

	ProvisioningState string        `json:"provisioningState"`
	Generation        int64         `json:"generation"`
	AppliedGeneration int64         `json:"appliedGeneration"`
	OperationID       string        `json:"operationId,omitempty"`
	Status            ClusterStatus `json:"status"`
	CreatedAt         time.Time     `json:"createdAt"`
	UpdatedAt         time.Time     `json:"updatedAt"`
}

// Stopped reports whether the cluster's control plane is stopped.
func (c *ManagedCluster) Stopped() bool { return c.PowerState == PowerStopped }

// Key returns the cluster's store key.
func (c *ManagedCluster) Key() string { return ClusterKey(c.Subscription, c.ResourceGroup, c.Name) }

// Operation kinds.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
	OpStop   = "stop"
	OpStart  = "start"
	// OpAgentPool is a put or delete of one agent pool: an update of the
	// cluster's agentPoolProfiles, complete like OpUpdate.
	OpAgentPool = "agentPool"
)

// OperationError is the error of a failed operation.
type OperationError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Operation is one asynchronous operation on a cluster. It is InProgress
// until the controller has applied Generation (create/update) or removed the
// cluster (delete).
type Operation struct {
	ID           string          `json:"id"`
	Subscription string          `json:"subscription"`
	Namespace    string          `json:"namespace"`
	Location     string          `json:"location"`
	Kind         string          `json:"kind"`
	ClusterKey   string          `json:"clusterKey"`
	ResourceID   string          `json:"resourceId"`
	Generation   int64           `json:"generation"`
	Status       string          `json:"status"` // arm.StatusInProgress, …
	StartTime    time.Time       `json:"startTime"`
	EndTime      time.Time       `json:"endTime,omitzero"`
	Error        *OperationError `json:"error,omitempty"`
}

// Encode marshals a record.
func Encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}

// Decode unmarshals a record stored under key.
func Decode(key string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}
