// Package storetest is the conformance suite every store.Store backend must
// pass. Run(t, newStore) exercises the contract written in package store:
// Create/Get/Update/Put/Delete with their sentinel errors, compare-and-swap
// on a key's revision, store-wide strictly increasing revisions, List by
// prefix at a read revision, Watch from a revision with lossless resume,
// concurrent compare-and-swap (exactly one writer wins a round), Close,
// copied values, 1 MiB values and context cancellation.
//
// The suite never assumes revisions are contiguous or start at a given
// number (an etcd shared with other installs advances them too), only that
// each successful write gets a revision greater than every earlier one and
// that a failed write gets none. newStore is called once per subtest and
// must return an empty store (or an empty namespace of a shared one); the
// suite closes it. Subtests do not run in parallel.
package storetest
