// Package datadir guards a `tagwall serve` data dir before its store is
// opened.
//
// Contract: CheckStore reports whether starting on the dir's bbolt store
// would silently lose state. A store file that is missing or 0 bytes long
// beside an existing server identity (the admin token, the subscription
// or tenant id, the API CA, the token-signing key, per-cluster
// credentials under clusters/) means the state was lost or moved, not
// that this is a first start: CheckStore then returns an *EmptyStoreError
// (ErrEmptyStore) naming what exists and what is missing, unless the
// caller allows an empty store on purpose (serve --allow-empty-store). A
// dir with no identity, or with a non-empty store file, passes; whether
// that file is sound is boltstore.Open's question. CheckStore only reads.
package datadir
