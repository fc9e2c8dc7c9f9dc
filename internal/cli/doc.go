// Package cli is tagwall's az-shaped command line: `tagwall feature
// register|unregister|show|list`, `tagwall provider
// register|unregister|show|list`, `tagwall group create|show|list|delete`,
// `tagwall aks create|update|show|list|delete|get-credentials|
// get-versions|get-upgrades|stop|start`, `tagwall aks nodepool
// list|show|add|scale|delete`, `tagwall network list-service-tags` and
// `tagwall extension add|update|list|remove`, each speaking HTTPS to a
// tagwall server's ARM API with the paths, api-versions and request bodies
// the real az sends.
//
// One file per subcommand, named after its path (aks_nodepool_list.go for
// `aks nodepool list`), holds the command's args struct, its constructor
// and its typed run function ((*app).runAksNodepoolList(ctx, args)).
// commandList in commands.go is the one registration point; nothing
// registers itself in init. Positional arguments are refused by a cobra
// Args validator and flag errors by FlagError, so no cobra message is
// matched; every failure ends as the one exit-error type, *ExitError.
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
