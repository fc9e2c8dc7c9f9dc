// Package pki makes and keeps the certificates `tagwall serve` needs: a
// certificate authority for the API endpoint, one CA per managed cluster
// for its stand-in API server, and leaf certificates signed by them.
//
// Keys are ECDSA P-256. A CA is valid for ten years, a leaf for one year
// (both start an hour in the past to absorb clock skew). LoadOrCreateCA and
// LoadOrIssue persist what they make as PEM files (certificates 0644, keys
// 0600) so a restart reuses them: a client that trusted the CA once keeps
// trusting the server. A CA is immutable after creation and safe for
// concurrent use; Issue may be called from many goroutines.
package pki
