// Package allowlist compiles a validated authorized-ranges list and the
// resolved service-tag prefixes into an immutable matcher.
//
// A TagSet is the compiled form of one tag version; it is built once and
// shared by every List that references it (a List holds a pointer, never a
// copy). A Builder collects prefixes and tag sets, netipx.IPSetBuilder style:
// mutators return nothing, errors pile up, and Build returns the frozen
// *List with every error joined. List.Contains reports whether an address is
// admitted, allocates nothing, takes no lock and is safe for concurrent use;
// IPv4-mapped IPv6 addresses are unmapped first, an IPv6 zone is ignored, and
// the zero or an invalid Addr, a nil *List and the zero List admit nothing
// (fail closed). A disabled list (Builder.AllowAll) admits every valid
// address. Explain returns the decision and the entry that decided it; it
// scans and is meant for audit, not the connection path.
//
// Structures (chosen by measurement, see match_bench_test.go and
// docs/bench/allowlist.md): prefixes are merged into sorted, disjoint
// [lo, hi] ranges. A TagSet's IPv4 ranges become a DIR-16-8-8 table, three
// dependent loads with no data-dependent branch (AzureCloud: about 231 KiB).
// IPv6 ranges are keyed by their upper 64 bits (service tags use /64 or
// shorter) in a rangeSet, a bucket index whose crowded buckets get nested
// child indexes; prefixes longer than /64 go to a small 128-bit side set.
// A List's own ranges use a rangeSet sized to their number, so thousands of
// Lists that share one TagSet stay small (about 1.6 KB each with 1-20 own
// CIDRs).
package allowlist
