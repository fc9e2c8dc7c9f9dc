package prefilter

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// Union returns the prefixes every list admits, together (a nil list
// admits nothing). Pass it to New or Sync.
func Union(lists []*allowlist.List) []netip.Prefix {
	var out []netip.Prefix
	for _, l := range lists {
		out = append(out, l.Prefixes()...)
	}
	return out
}

// Follow keeps the sets equal to Union(lists()) until ctx ends: it calls
// lists every interval (default 25 ms) and Syncs when any list differs
// from the last call's. Lists are immutable and replaced on change, so
// comparing the pointers is enough. With the default interval and
// Debounce a change reaches the kernel within about 50 ms. For the
// gateway: lists returns the Allow list of every gateway.Route.
func (f *Filter) Follow(ctx context.Context, lists func() []*allowlist.List, interval time.Duration) {
	if interval <= 0 {
		interval = 25 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	last := lists()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.done:
			return
		case <-t.C:
		}
		if cur := lists(); !slices.Equal(cur, last) {
			last = cur
			f.Sync(Union(cur))
		}
	}
}
