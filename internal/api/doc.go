// Package api serves tagwall's ARM-compatible control plane over HTTP:
// Microsoft.Features registrations, resource-provider registration, resource
// groups, Microsoft.ContainerService/managedClusters (create/update as a
// long-running operation, get, list, delete, tags, credentials, stop/start,
// the upgrade profile and the agentPools sub-resource over
// agentPoolProfiles), the supported Kubernetes versions (kubernetesVersions
// and the older orchestrators list), async operation status, GET …/resources,
// the Microsoft.Network service-tag discovery API and /metadata/endpoints.
// Any other operation under Microsoft.ContainerService, and the Graph and
// portal URLs the metadata names, answer 400 NotSupported naming the
// operation and what is supported.
//
// The handler only validates and stores desired state (package state) in a
// store.Store; it never touches the gateway. The controller package turns
// what is stored into routes and completes operations. Paths match
// case-insensitively, as ARM's do, while names keep the caller's casing.
// Every request but GET /metadata/endpoints needs a bearer token accepted by
// Config.Auth; a rejected request writes nothing. Every error leaves through
// arm.WriteError as an ARM error envelope. The handler is safe for
// concurrent use; concurrent writers to one resource are serialised by the
// store's compare-and-swap.
//
// Before a handler runs, header bytes, the body's media type (JSON only,
// else 415), the api-version and the subscription's authorization are
// checked, then the request is charged to ARM's token buckets when
// Config.Throttle is set (429 SubscriptionRequestsThrottled with
// Retry-After past them); every body must be one JSON object. Creates of clusters and resource groups are capped per
// subscription (Config.MaxClustersPerSubscription,
// MaxResourceGroupsPerSubscription: 409 QuotaExceeded); names, locations
// (aksref plus Config.ExtraLocations), dnsPrefix and Kubernetes versions
// are validated as ARM and AKS do (validate.go). A cluster update that does
// not state authorizedIPRanges keeps the stored list: a partial or
// malformed body never opens a list.
//
// A managed cluster round-trips as AKS's does under one field policy
// (fieldpolicy.go's clusterFields, also docs/serve.md's generated table):
// each property is echoed, defaulted, computed, read-only or secret.
// Every request body is sanitized by it before anything reads the body
// (server-owned, read-only and secret properties are dropped, so a secret
// is never stored), and every body that carries a cluster is built by
// clusterJSON and leaves through encodeCluster, which drops any secret
// (windowsProfile.adminPassword, servicePrincipalProfile.secret, any
// *Password or *Secret) wherever it is. Computed identifiers are derived
// from the cluster's resource id, so reads agree without storing them.
//
// Beside the managed cluster the API serves what the SDKs reach for:
// subscriptionFeatureRegistrations, the Microsoft.Features and
// Microsoft.ContainerService operations lists, tenant-scope providers,
// PATCH of a resource group and serviceTagDetails (registerSpecEndpoints).
//
// Deleting a resource group that still holds clusters marks every cluster
// Deleting (each with its own operation), removes the group at once and
// answers 200: the clusters disappear once the controller has removed their
// routes.
//
// tagwall extensions (docs/serve.md) live in sub-resources of a cluster,
// never in its AKS-shaped body: accessGrants (time-bound entries, stored in
// the cluster record, at most state.MaxGrantsPerCluster), checkAccess and
// recentClients (answered by Config.Access, the front door in force),
// shadowAccessProfile and promoteShadow. A cluster PUT learns the impact
// preview and the cut-off guard only on tagwall's opt-in (HeaderCutoffGuard,
// HeaderDryRun, HeaderAllowCutOff): az sends none, so AKS clients see AKS
// behaviour.
package api
