package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
)

// wantEvent is the expected shape of one Watch event.
type wantEvent struct {
	typ   store.EventType
	key   string
	value string
	rev   int64
}

func (w wantEvent) String() string {
	return fmt.Sprintf("%s %q=%q@%d", typeName(w.typ), w.key, w.value, w.rev)
}

func typeName(t store.EventType) string {
	switch t {
	case store.EventPut:
		return "put"
	case store.EventDelete:
		return "delete"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

func describe(ev store.Event) string {
	return wantEvent{ev.Type, ev.KV.Key, string(ev.KV.Value), ev.KV.ModRevision}.String()
}

// recv reads n events or fails after eventWait.
func recv(tb testing.TB, ch <-chan store.Event, n int) []store.Event {
	tb.Helper()
	var got []store.Event
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	for len(got) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				tb.Fatalf("watch channel closed after %d of %d events", len(got), n)
			}
			got = append(got, ev)
		case <-timer.C:
			tb.Fatalf("got %d of %d events before timeout", len(got), n)
		}
	}
	return got
}

// expectQuiet fails if an event arrives within quietWait.
func expectQuiet(tb testing.TB, ch <-chan store.Event) {
	tb.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			tb.Fatalf("unexpected event %s", describe(ev))
		}
	case <-time.After(quietWait):
	}
}

// expectClosed fails unless ch is closed (after draining) within eventWait.
func expectClosed(tb testing.TB, ch <-chan store.Event) {
	tb.Helper()
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timer.C:
			tb.Fatalf("watch channel still open after %v", eventWait)
		}
	}
}

func checkEvents(tb testing.TB, got []store.Event, want []wantEvent) {
	tb.Helper()
	for i, ev := range got {
		w := want[i]
		if ev.Type != w.typ || ev.KV.Key != w.key || string(ev.KV.Value) != w.value || ev.KV.ModRevision != w.rev {
			tb.Fatalf("event %d is %s, want %s", i, describe(ev), w)
		}
		if ev.Type == store.EventDelete && ev.KV.Value != nil {
			tb.Fatalf("event %d: delete carries value %q", i, ev.KV.Value)
		}
		if ev.Type == store.EventPut && (ev.KV.CreateRevision <= 0 || ev.KV.CreateRevision > ev.KV.ModRevision) {
			tb.Fatalf("event %d: put with create %d mod %d", i, ev.KV.CreateRevision, ev.KV.ModRevision)
		}
	}
}

func mustWatch(tb testing.TB, ctx context.Context, s store.Store, prefix string, from int64) <-chan store.Event {
	tb.Helper()
	ch, err := s.Watch(ctx, prefix, from)
	if err != nil {
		tb.Fatalf("Watch(%q, %d): %v", prefix, from, err)
	}
	return ch
}

// writeHistory makes a fixed mix of writes inside and outside "a/" and
// returns the events a watcher of "a/" must see.
func writeHistory(tb testing.TB, s store.Store) []wantEvent {
	tb.Helper()
	ctx := ctxFor(tb)
	r1 := mustPut(tb, s, "a/1", "one")
	r2 := mustPut(tb, s, "a/2", "two")
	mustPut(tb, s, "ab/x", "sibling")
	mustPut(tb, s, "b/1", "other")
	r3, err := s.Delete(ctx, "a/1", r1)
	if err != nil {
		tb.Fatalf("Delete: %v", err)
	}
	r4, err := s.Update(ctx, "a/2", []byte("two'"), r2)
	if err != nil {
		tb.Fatalf("Update: %v", err)
	}
	r5, err := s.Create(ctx, "a/1", []byte("reborn"))
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return []wantEvent{
		{store.EventPut, "a/1", "one", r1},
		{store.EventPut, "a/2", "two", r2},
		{store.EventDelete, "a/1", "", r3},
		{store.EventPut, "a/2", "two'", r4},
		{store.EventPut, "a/1", "reborn", r5},
	}
}

func testWatchFromRevision(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	start := mustRevision(t, s)
	want := writeHistory(t, s)
	for i := range want {
		t.Run(fmt.Sprintf("after event %d", i), func(t *testing.T) {
			from := start
			if i > 0 {
				from = want[i-1].rev
			}
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ch := mustWatch(t, wctx, s, "a/", from)
			checkEvents(t, recv(t, ch, len(want)-i), want[i:])
			expectQuiet(t, ch)
		})
	}
	t.Run("create revision of the reborn key", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ev := recv(t, mustWatch(t, wctx, s, "a/1", want[3].rev), 1)[0]
		if ev.KV.CreateRevision != want[4].rev {
			t.Fatalf("reborn a/1 create revision %d, want %d", ev.KV.CreateRevision, want[4].rev)
		}
	})
}

func testWatchLive(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	mustPut(t, s, "a/old", "before")
	ch := mustWatch(t, ctx, s, "a/", mustRevision(t, s))
	expectQuiet(t, ch)
	want := writeHistory(t, s)
	checkEvents(t, recv(t, ch, len(want)), want)
	expectQuiet(t, ch)
}

// testWatchResume cancels a watch midway, writes while no one watches, and
// checks that watching again from the last seen revision loses nothing and
// repeats nothing.
func testWatchResume(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	from := mustRevision(t, s)
	var want []wantEvent
	wctx, cancel := context.WithCancel(ctx)
	ch := mustWatch(t, wctx, s, "r/", from)
	for i := range 3 {
		k, v := fmt.Sprintf("r/%d", i), fmt.Sprint(i)
		want = append(want, wantEvent{store.EventPut, k, v, mustPut(t, s, k, v)})
	}
	got := recv(t, ch, 2)
	checkEvents(t, got, want[:2])
	cancel()
	expectClosed(t, ch)
	for i := 3; i < 6; i++ {
		k, v := fmt.Sprintf("r/%d", i), fmt.Sprint(i)
		want = append(want, wantEvent{store.EventPut, k, v, mustPut(t, s, k, v)})
	}
	ch = mustWatch(t, ctx, s, "r/", got[1].KV.ModRevision)
	checkEvents(t, recv(t, ch, 4), want[2:])
	k := "r/live"
	want = append(want, wantEvent{store.EventPut, k, "x", mustPut(t, s, k, "x")})
	checkEvents(t, recv(t, ch, 1), want[6:])
	expectQuiet(t, ch)
}

func testWatchCancel(t *testing.T, s store.Store) {
	wctx, cancel := context.WithCancel(ctxFor(t))
	ch := mustWatch(t, wctx, s, "", mustRevision(t, s))
	mustPut(t, s, "w", "1")
	recv(t, ch, 1)
	cancel()
	expectClosed(t, ch)
	// A watcher that stopped reading must not block writers.
	wctx2, cancel2 := context.WithCancel(ctxFor(t))
	defer cancel2()
	mustWatch(t, wctx2, s, "", mustRevision(t, s))
	for i := range 200 {
		mustPut(t, s, "w", fmt.Sprint(i))
	}
}

// testWatchManyWatchers runs several watchers of overlapping prefixes
// against concurrent writers and checks each sees exactly its keys in order.
func testWatchManyWatchers(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	from := mustRevision(t, s)
	const writers, perWriter = 4, 25
	prefixes := []string{"m/", "m/0/", "m/1/", ""}
	chans := make([]<-chan store.Event, len(prefixes))
	for i, p := range prefixes {
		chans[i] = mustWatch(t, ctx, s, p, from)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if _, err := s.Put(ctx, fmt.Sprintf("m/%d/%d", w, i), []byte("v")); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	counts := []int{writers * perWriter, perWriter, perWriter, writers * perWriter}
	for i, ch := range chans {
		evs := recv(t, ch, counts[i])
		var last int64
		for _, ev := range evs {
			if ev.KV.ModRevision <= last {
				t.Fatalf("watcher %q: revision %d after %d", prefixes[i], ev.KV.ModRevision, last)
			}
			last = ev.KV.ModRevision
			if len(ev.KV.Key) < len(prefixes[i]) || ev.KV.Key[:len(prefixes[i])] != prefixes[i] {
				t.Fatalf("watcher %q got key %q", prefixes[i], ev.KV.Key)
			}
		}
	}
}
