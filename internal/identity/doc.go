// Package identity bootstraps the server identity kept in the data dir: the
// admin bearer token, the default subscription, the tenant, and the API
// endpoint's certificate (a generated CA and leaf, or the operator's own
// pair). Load reads what exists and creates what is missing (files 0600),
// so a restart answers as the same server; a file that exists but is empty
// or unreadable is an error, never silently replaced.
//
// Share makes a set of data-dir files the same on every replica of the
// distributed mode through the store: the first replica to store its copy
// wins (a Create), every other replica writes the stored copy over its
// own. It is used for the identity (SharedFiles) and for each cluster's
// credentials (package clustercreds).
//
// An operator-supplied token file (Config.TokenFile) must not be readable
// by group or others: Load refuses it (ErrTokenFileMode) instead of serving
// with a leaked admin secret.
package identity
