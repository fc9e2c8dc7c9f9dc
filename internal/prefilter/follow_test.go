package prefilter

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// source is a lists source with Gateway.RoutesChanged's contract: changed
// returns a channel closed at the next set.
type source struct {
	mu    sync.Mutex
	ch    chan struct{}
	cur   *allowlist.List
	calls atomic.Int64 // lists calls
}

func newSource(l *allowlist.List) *source { return &source{ch: make(chan struct{}), cur: l} }

func (s *source) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *source) lists() []*allowlist.List {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return []*allowlist.List{s.cur}
}

func (s *source) set(l *allowlist.List) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = l
	close(s.ch)
	s.ch = make(chan struct{})
}

// TestFollowWorksOnlyOnChange runs Follow's loop without a kernel: it
// syncs once at start, reads the lists no more while nothing changes (the
// cost of following 100,000 idle routes is nil), follows a change, and
// coalesces a burst of changes into a few reads ending on the last list.
func TestFollowWorksOnlyOnChange(t *testing.T) {
	first := mustList(t, "127.0.0.3/32")
	src := newSource(first)
	synced := make(chan []*allowlist.List, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		follow(ctx, done, src.changed, src.lists, 5*time.Millisecond, func(l []*allowlist.List) { synced <- l })
	}()
	wait := func(want *allowlist.List) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for {
			select {
			case l := <-synced:
				if len(l) == 1 && l[0] == want {
					return
				}
			case <-deadline:
				t.Fatalf("no sync to %v within 2 s", want)
			}
		}
	}
	wait(first)
	time.Sleep(100 * time.Millisecond) // 20 intervals, no change
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("lists called %d times with no change, want 1", n)
	}
	second := mustList(t, "127.0.0.2/32")
	src.set(second)
	wait(second)
	before := src.calls.Load()
	var last *allowlist.List
	for i := range 200 {
		last = mustList(t, "127.0.0.2/32", "10.0.0."+strconv.Itoa(i%250)+"/32")
		src.set(last)
	}
	wait(last)
	time.Sleep(50 * time.Millisecond)
	if n := src.calls.Load() - before; n > 60 { // a few on a quiet machine; room for a loaded one
		t.Errorf("a burst of 200 changes cost %d lists calls, want a few", n)
	} else {
		t.Logf("a burst of 200 changes cost %d lists calls", n)
	}
	select {
	case l := <-synced:
		t.Errorf("a sync after the burst settled: %v", l)
	default:
	}
	close(done)
	select {
	case <-stopped:
	case <-time.After(time.Second):
		t.Fatal("follow did not return when the filter closed")
	}
}
