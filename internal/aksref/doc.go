// Package aksref holds the reference data of the AKS surface that tagwall
// serves and validates against: the Azure location names ARM accepts and
// the Kubernetes versions AKS supports (the list `aks get-versions` serves).
//
// The lists are package-level, immutable after init and safe for concurrent
// use. They are tagwall's own catalog, written from Azure's public region
// list and AKS's release calendar, not fetched from Azure at run time; an
// operator extends the locations with a LocationSet built from extra names
// (serve --locations).
package aksref
