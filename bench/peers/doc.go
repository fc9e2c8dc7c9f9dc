// Command peers is the side-by-side benchmark of tagwall's front door
// (`tagwall gateway`) against HAProxy and nginx, all enforcing the same
// allowlist (the AzureCloud service tag plus 200 random global CIDRs) in
// front of the same TLS upstream, on loopback only.
//
// Each contender runs as its own process with a temporary config directory
// and free 127.0.0.1 ports. One Go client drives them in turn
// (round-robin over -rounds short rounds of -duration each; the report
// takes the median): new TLS connections per second from allowed
// addresses (a PROXY v2 header carrying an allowed public address, a full
// TLS handshake and one small request), connections per second from denied
// addresses, bulk throughput on one allowed connection, time to first
// response byte (p50/p99), and the allowed rate while a denied flood runs.
// The peak memory (VmHWM) of every proxy process is read from /proc.
//
// The result is a markdown table with the targets met or missed, the
// machine it ran on and the command (docs/bench/peers.md), and a grouped bar
// plot normalised to HAProxy = 1.0 (docs/img/peers.svg). -smoke runs a few
// tiny rounds and writes to a temporary directory; scripts/bench-peers is
// the one command that installs the peers and reproduces the full run.
//
// The harness never sends traffic beyond 127.0.0.0/8 and every measurement
// is bounded in time.
package main
