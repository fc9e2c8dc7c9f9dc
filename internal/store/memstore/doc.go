// Package memstore is an in-memory store.Store: the slow, obviously
// correct reference the real backends are compared against, and a
// dependency-free store for other packages' unit tests.
//
// Everything sits in one map and one append-only event history behind a
// mutex; nothing is ever compacted (unless WithRetention says so) and
// nothing survives the process. It passes the storetest suite like the
// real backends.
package memstore
