// Package rangespec parses and validates an authorized-IP-ranges list such as
// "AzureCloud, 20.20.20.20" with the rules AKS applies, and their exact error
// texts.
//
// Four modes share one implementation, because four places check lists:
// ModeCLI (core az's client-side validator), ModePreviewCLI (the aks-preview
// validator, which passes anything unparseable through as a tag candidate),
// ModeServer (the managed API's authoritative check, which resolves tags
// against a catalog) and ModeStandalone (the standalone gateway's config:
// private ranges and several tags allowed).
//
// Parsing never half-applies: it returns either a complete Spec or every
// error found, each an *Error naming the entry's index and text.
package rangespec
