// Package cli is tagwall's az-shaped command line: `tagwall feature
// register`, `tagwall provider register`, `tagwall group create`, `tagwall
// aks create|update|show|list|delete|get-credentials`, `tagwall network
// list-service-tags` and `tagwall extension add|update|list|remove`, each
// speaking HTTPS to a tagwall server's ARM API with the paths, api-versions
// and request bodies the real az sends.
//
// Output follows az (knack) byte for byte where it can: -o json is
// json.dumps(indent=2, sort_keys=True, ensure_ascii=False) plus a newline;
// tsv, table, yaml and none follow knack's formatters; --query is JMESPath;
// warnings ("WARNING: …") and errors ("ERROR: (Code) Message", then
// "Code:" and "Message:" lines) go to stderr. Exit statuses are az's: 0
// success, 1 error, 2 command-line usage (unknown or missing arguments),
// 3 resource not found.
//
// Cluster objects are printed as az prints the SDK model, not as the REST
// body: properties are flattened, keys use the SDK's camel case
// (authorizedIPRanges becomes authorizedIpRanges; see clusterKeys), unset
// model fields print as null and resourceGroup is added.
//
// The client-side check of --api-server-authorized-ip-ranges is rangespec's
// ModeCLI (core az) or, once `tagwall extension add --name aks-preview` has
// been run, ModePreviewCLI; this package holds no copy of those rules.
//
// Commands take everything from the process through Env, so tests run them
// in-process against an httptest server or an in-process `tagwall serve`.
package cli
