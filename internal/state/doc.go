// Package state defines the desired-state records tagwall's control plane
// keeps in a store.Store, their keys and their encoding: Feature and Provider
// registrations, ResourceGroup, ManagedCluster and Operation.
//
// Every key starts with Prefix ("arm/") and is lower-cased where ARM is
// case-insensitive (subscriptions, groups, names, namespaces), so one
// resource has one key whatever casing a caller used; records keep the
// caller's casing for display. Records are JSON. The api package writes
// desired state; the controller moves records through their states (feature
// timers, provisioning states, operations) with compare-and-swap writes, so
// every transition survives a restart. Nothing here holds state of its own.
package state
