// Package etcdtest starts embedded etcd members on loopback for the tests
// of etcdstore and of the distributed server: one cluster of n members,
// each in its own tb.TempDir() on free 127.0.0.1 ports, stopped when the
// test ends. It is for tests only; nothing in a binary imports it.
//
// A Member is not safe for concurrent use: start, stop and restart it
// from the test goroutine.
package etcdtest
