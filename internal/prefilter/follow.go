package prefilter

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// Union returns the prefixes every list admits, together (a nil list
// admits nothing): each list's own prefixes, and the prefixes of each tag
// set once however many lists share it (a tag set is shared by every list
// naming the same tag version), so its cost is the lists' own entries plus
// the distinct tags, not lists × tag size. Pass it to New or Sync.
func Union(lists []*allowlist.List) []netip.Prefix {
	var out []netip.Prefix
	seen := make(map[*allowlist.List]bool, len(lists))
	tags := map[*allowlist.TagSet]bool{}
	all := false
	for _, l := range lists {
		if seen[l] { // routes sharing one list: its prefixes once
			continue
		}
		seen[l] = true
		own, ts, disabled := l.Parts()
		all = all || disabled
		out = append(out, own...)
		for _, t := range ts {
			if !tags[t] {
				tags[t] = true
				out = append(out, t.Prefixes()...)
			}
		}
	}
	if all {
		out = append(out, netip.PrefixFrom(netip.IPv4Unspecified(), 0), netip.PrefixFrom(netip.IPv6Unspecified(), 0))
	}
	return out
}

// Follow keeps the sets equal to Union(lists()) until ctx ends or the
// filter is closed. changed returns a channel that is closed at the next
// change of what lists returns (for the gateway: Gateway.RoutesChanged,
// with lists giving every route's Allow list); Follow takes it before each
// lists call, so no change is missed, and does no work while nothing
// changes, however many routes there are. After a change it waits
// interval (default 25 ms), so a burst of changes costs one lists call,
// then Syncs when any list differs from the last call's (lists are
// immutable and replaced on change, so comparing pointers is enough).
// With the default interval and Debounce a change reaches the kernel
// within about 50 ms. Follow first Syncs to what lists returns when it
// starts, so a change between New and Follow is not lost.
func (f *Filter) Follow(ctx context.Context, changed func() <-chan struct{}, lists func() []*allowlist.List, interval time.Duration) {
	follow(ctx, f.done, changed, lists, interval, func(cur []*allowlist.List) { f.Sync(Union(cur)) })
}

// follow is Follow's loop, with the kernel update as sync.
func follow(ctx context.Context, done <-chan struct{}, changed func() <-chan struct{}, lists func() []*allowlist.List,
	interval time.Duration, sync func([]*allowlist.List)) {
	if interval <= 0 {
		interval = 25 * time.Millisecond
	}
	var last []*allowlist.List // nothing synced yet: the first round syncs
	var wake <-chan struct{} = closed
	t := time.NewTimer(interval)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-wake:
		}
		t.Reset(interval) // coalesce a burst of changes
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
		}
		wake = changed()
		if cur := lists(); last == nil || !slices.Equal(cur, last) {
			if cur == nil {
				cur = []*allowlist.List{}
			}
			last = cur
			sync(cur)
		}
	}
}

// closed is a closed channel: follow's first round needs no change.
var closed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()
