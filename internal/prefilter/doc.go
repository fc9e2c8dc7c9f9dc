// Package prefilter keeps a kernel-side allowlist in front of the gateway:
// an nftables table with two interval sets (IPv4 and IPv6) holding the
// union of every address some route admits, and rules that drop (or
// reject with a TCP reset) new connections to the front door's port from
// any other source. Refused clients then cost the front door no accept, no
// goroutine and no file descriptor; each route's own list is still enforced
// by the gateway.
//
// It is opt-in and only for deployments where clients connect directly:
// behind a PROXY-protocol load balancer every packet comes from the
// balancer, and the kernel cannot see the client address the header
// carries.
//
// New creates the table (and fails with an error wrapping ErrNotPermitted,
// which says why, when the process lacks CAP_NET_ADMIN: the caller logs it
// and runs without). Sync replaces the sets' contents with a new union; calls
// are debounced and applied together in one atomic nftables transaction
// within Config.Debounce (default 20 ms, well inside the 100 ms a list change
// may take to reach the front door). Follow waits for the front door's
// change signal (gateway.Gateway.RoutesChanged), then reads the routes'
// lists and Syncs when one changed: no work while the routes stay as they
// are, and one read per burst of changes. Union(lists) is what the sets
// hold. Close removes the table. A Filter is
// safe for concurrent use.
package prefilter
