// Package rangespec parses and validates an authorized-IP-ranges list such as
// "AzureCloud, 20.20.20.20" with the rules AKS applies, and their exact error
// texts.
//
// Four modes share one entry point (ParseString for the CLI's one string,
// ParseList for the ARM array), because four places check lists:
//
//   - ModeCLI is core az's validate_ip_ranges, rule for rule and text for
//     text, then the decorator's load-balancer and private-cluster rules. Its
//     parser and is_global are a port of CPython 3.11.7's ipaddress (the
//     version aks-behaviour.md measured), checked against the interpreter's
//     own answers in testdata/python311.json.
//   - ModePreviewCLI is aks-preview's validator: the same, except that an item
//     that does not parse passes through as a tag candidate (Entry.Tag = the
//     item as given).
//   - ModeServer is the managed API's authoritative check: bare IPs become
//     /32 or /128, host bits, non-global ranges (tagwall's documented table,
//     see global.go), empty items and more than 200 (2,000 with VNet
//     integration) entries are refused; an item that is not an address but
//     looks like a name is a service tag, resolved case-insensitively to the
//     catalog's spelling, at most one, only with the preview feature, never
//     with VNet integration, and never without catalog data (fail closed).
//     Duplicates are accepted and kept once.
//   - ModeStandalone is the standalone gateway's config: as the server, but
//     private ranges and several tags are allowed, there is no feature gate
//     and the cap is 100,000.
//
// Parsing never half-applies: it returns either a complete Spec or every
// problem found, joined with errors.Join, each an *Error naming the entry's
// index and text, with ARM code InvalidParameter, ordered by index with
// list-level rules (index -1) first. FirstError returns the one to show. In
// the CLI modes that first error is the one az would raise; the server's
// texts are AKS's exact ones where aks-behaviour.md records them (0.0.0.0/32
// mixing, the 200 limit, private cluster) and otherwise name the entry, as in
// `authorizedIPRanges[1] "10.0.0.0/8": must be global non-reserved addresses
// or CIDRs`.
//
// All functions are safe for concurrent use; a Spec is a value and is not
// modified after it is returned.
package rangespec
