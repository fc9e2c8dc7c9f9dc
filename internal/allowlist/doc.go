// Package allowlist compiles a validated authorized-ranges list and the
// resolved service-tag prefixes into an immutable matcher.
//
// A TagSet is the compiled form of one tag version; it is built once and
// shared by every List that references it. A Builder collects prefixes and
// tag sets and Build returns a frozen *List. List.Contains reports whether an
// address is admitted, allocates nothing and is safe for concurrent use;
// IPv4-mapped IPv6 addresses are unmapped first. Explain returns the decision
// and the entry that decided it.
package allowlist
