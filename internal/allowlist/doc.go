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
// [lo, hi] ranges, and compile picks for each family the cheapest shape
// that fits them (shape.go; tailscale ipset style, with a test hook
// recording the choice): none, one range (one comparison), a branch-free
// scan of up to 16 IPv4 or 4 IPv6 ranges, a bucket index (rangeSet), a
// DIR-16-8-8 table for IPv4 (a TagSet's, or a List's own with 256 ranges
// or more; byte-sized node numbers when they fit, as for AzureCloud: about
// 120 KiB), and for IPv6 either a rangeSet keyed by the upper 64 bits
// (every prefix /64 or shorter: service tags) or flat6, a bucketed search
// of 128-bit ranges. A List's own ranges get indexes sized to their
// number, so thousands of Lists that share one TagSet stay small (about
// 1.7 KB each with 1-20 own CIDRs). List.Contains reads the address's two
// halves in place (IPv4 and IPv4-mapped share them) and ORs a tag's answer
// with the own ranges' without a data-dependent branch.
package allowlist
