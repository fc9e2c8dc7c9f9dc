package api

import (
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
)

// supportedContainerService names what tagwall serves under
// Microsoft.ContainerService, for the NotSupported message.
const supportedContainerService = "managedClusters (create, update, show, list, delete, tags), " +
	"listClusterUserCredential, listClusterAdminCredential, listClusterMonitoringUserCredential, stop, start, upgradeProfiles/default, " +
	"agentPools (list, show, add or update, delete, upgradeProfiles/default), locations/{location}/kubernetesVersions, " +
	"locations/{location}/orchestrators and the operation status resources"

// supportedGraphPortal is the NotSupported text's list for Graph and portal
// requests.
const supportedGraphPortal = "the Azure Resource Manager API at this host (az group, az aks, az feature, az provider, az resource list, az rest)"

// knownCommands names the az command behind some operations tagwall does
// not implement, so the message says what the user ran.
var knownCommands = map[string]string{
	"managedclusters/runcommand":                         "az aks command invoke",
	"managedclusters/commandresults":                     "az aks command result",
	"managedclusters/maintenanceconfigurations":          "az aks maintenanceconfiguration",
	"managedclusters/rotateclustercertificates":          "az aks rotate-certs",
	"managedclusters/resetserviceprincipalprofile":       "az aks update-credentials",
	"managedclusters/resetaadprofile":                    "az aks update-credentials",
	"managedclusters/agentpools/upgradenodeimageversion": "az aks nodepool upgrade --node-image-only",
	"managedclusters/privateendpointconnections":         "az network private-endpoint-connection",
	"snapshots":               "az aks nodepool snapshot",
	"managedclustersnapshots": "az aks snapshot",
	"managedclusters/outboundnetworkdependenciesendpoints": "az aks egress-endpoints list",
}

// unsupportedPublic answers, before authentication, the Graph and portal
// URLs /metadata/endpoints advertises: az ad, az role and az aks browse
// reach them and get a NotSupported that names tagwall, instead of a
// missing endpoint that makes az call its clouds.config corrupt. Other
// paths: nil.
func unsupportedPublic(r *http.Request, segs []string) error {
	switch strings.ToLower(segs[0]) {
	case "graph":
		return notSupported("Microsoft Graph ("+arm.Printable(r.Method+" /"+strings.Join(segs, "/"))+"; az ad, az role)", supportedGraphPortal)
	case "portal":
		return notSupported("the Azure portal (az aks browse)", supportedGraphPortal)
	}
	return nil
}

// unsupportedOperation answers an authenticated request that no route
// matched under providers/Microsoft.ContainerService: a 400 NotSupported
// naming the ARM operation (e.g.
// Microsoft.ContainerService/managedClusters/runCommand/action) instead of
// the generic route-not-found text that reads like a typo. Other paths:
// nil.
func unsupportedOperation(r *http.Request, segs []string) error {
	at := -1
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") && strings.EqualFold(segs[i+1], "Microsoft.ContainerService") {
			at = i + 2
		}
	}
	if at < 0 || at >= len(segs) {
		return nil
	}
	rest := segs[at:]
	var types []string
	for i := 0; i < len(rest); i += 2 {
		types = append(types, rest[i])
	}
	action := map[string]string{http.MethodGet: "read", http.MethodHead: "read", http.MethodPut: "write",
		http.MethodPatch: "write", http.MethodDelete: "delete", http.MethodPost: "action"}[r.Method]
	if action == "" {
		action = strings.ToLower(r.Method)
	}
	op := "Microsoft.ContainerService/" + strings.Join(types, "/") + "/" + action
	if cmd, ok := knownCommands[strings.ToLower(strings.Join(types, "/"))]; ok {
		op += " (" + cmd + ")"
	}
	return notSupported(arm.Printable(op), supportedContainerService)
}

// notSupported is tagwall's 400 for an Azure operation it does not
// implement.
func notSupported(op, supported string) *arm.Error {
	return arm.Errorf(http.StatusBadRequest, "NotSupported", "tagwall does not implement %s; supported: %s.", op, supported)
}
