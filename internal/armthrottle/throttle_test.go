package armthrottle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// clock is a fake time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)} }
func takeN(th *Throttle, n int, sub, actor string, k Kind) (ok int) {
	for range n {
		if th.Take(sub, actor, k).OK {
			ok++
		}
	}
	return ok
}

const sub1 = "00000000-0000-0000-0000-000000000001"

func TestAzureBuckets(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		size   int
		refill time.Duration // time for one token
	}{
		{Read, 250, 40 * time.Millisecond},
		{Write, 200, 100 * time.Millisecond},
		{Delete, 200, 100 * time.Millisecond},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			c := newClock()
			th := New(Config{Now: c.now})
			if got := takeN(th, tc.size, sub1, "alice", tc.kind); got != tc.size {
				t.Fatalf("a full bucket admitted %d of %d", got, tc.size)
			}
			r := th.Take(sub1, "alice", tc.kind)
			if r.OK || r.Remaining != 0 || r.RetryAfter != tc.refill {
				t.Fatalf("request past the bucket: %+v, want refused, 0 left, retry after %v", r, tc.refill)
			}
			if r := th.Take(sub1, "bob", tc.kind); !r.OK || r.Remaining != tc.size-1 || r.Global != 15*tc.size-tc.size-1 {
				t.Fatalf("another principal: %+v", r)
			}
			c.advance(tc.refill)
			if r := th.Take(sub1, "alice", tc.kind); !r.OK || r.Remaining != 0 {
				t.Fatalf("after one refill: %+v", r)
			}
			if r := th.Take(sub1, "alice", tc.kind); r.OK {
				t.Fatalf("refill gave more than one token: %+v", r)
			}
			// Another kind is another bucket.
			other := Read
			if tc.kind == Read {
				other = Write
			}
			if r := th.Take(sub1, "alice", other); !r.OK {
				t.Fatalf("%v refused after %v ran out: %+v", other, tc.kind, r)
			}
		})
	}
}

func TestGlobalBucketIsFifteenPrincipals(t *testing.T) {
	c := newClock()
	th := New(Config{Now: c.now})
	for i := range 15 {
		if got := takeN(th, 200, sub1, fmt.Sprint("p", i), Write); got != 200 {
			t.Fatalf("principal %d: %d admitted", i, got)
		}
	}
	r := th.Take(sub1, "p15", Write)
	if r.OK || r.Remaining != 200 || r.Global != 0 || r.RetryAfter != time.Second/150 {
		t.Fatalf("16th principal with a full bucket and the subscription's empty: %+v", r)
	}
	// Another subscription is unaffected.
	if r := th.Take("00000000-0000-0000-0000-000000000002", "p15", Write); !r.OK {
		t.Fatalf("other subscription: %+v", r)
	}
	// Subscription ids compare case-insensitively.
	if r := th.Take("00000000-0000-0000-0000-00000000000A", "q", Write); !r.OK {
		t.Fatal(r)
	}
	if got := takeN(th, 199, "00000000-0000-0000-0000-00000000000a", "q", Write); got != 199 {
		t.Fatalf("upper and lower case are one bucket: %d admitted of the 199 left", got)
	}
}

func TestTenantRequests(t *testing.T) {
	c := newClock()
	th := New(Config{Now: c.now, Reads: Bucket{Size: 3, Refill: 1}})
	for i := range 3 {
		r := th.Take("", "alice", Read)
		if !r.OK || r.Global != -1 || r.Remaining != 2-i {
			t.Fatalf("tenant read %d: %+v", i, r)
		}
	}
	if r := th.Take("", "alice", Read); r.OK || r.RetryAfter != time.Second {
		t.Fatalf("%+v", r)
	}
}

func TestKindOf(t *testing.T) {
	for m, want := range map[string]Kind{"GET": Read, "HEAD": Read, "DELETE": Delete, "PUT": Write, "PATCH": Write, "POST": Write, "BREW": Write} {
		if got := KindOf(m); got != want {
			t.Errorf("KindOf(%s) = %v, want %v", m, got, want)
		}
	}
}

// TestBucketsBounded: a token that may name any subscription cannot grow
// the map past MaxBuckets; full buckets go first and are not counted as
// dropped, and a bucket in use survives while full ones can go.
func TestBucketsBounded(t *testing.T) {
	c := newClock()
	th := New(Config{Now: c.now, MaxBuckets: 64})
	takeN(th, 200, sub1, "busy", Write) // an empty bucket, and its global
	for i := range 10_000 {
		th.Take(fmt.Sprintf("00000000-0000-0000-0000-%012d", i+10), "admin", Read)
		if n := th.Stats().Buckets; n > 64 {
			t.Fatalf("%d buckets after %d subscriptions", n, i)
		}
	}
	// Each new subscription's buckets hold 249 and 3749 of 250 and 3750:
	// not full, so they are dropped and counted; "busy" may be too, which
	// can only give it tokens back. The bound holds either way.
	if st := th.Stats(); st.Dropped == 0 {
		t.Fatalf("stats %+v: buckets in use were dropped without being counted", st)
	}

	// With time, used buckets refill and go without being counted.
	th2 := New(Config{Now: c.now, MaxBuckets: 64})
	for i := range 10_000 {
		th2.Take(fmt.Sprintf("00000000-0000-0000-0000-%012d", i+10), "admin", Read)
		c.advance(time.Second) // refilled by the next request
	}
	if st := th2.Stats(); st.Dropped != 0 || st.Buckets > 64 {
		t.Fatalf("stats %+v: full buckets count as dropped", st)
	}
}

// refBucket is the reference: the level in units of 1/2000 token, with
// the shapes below refilling a whole number of units per millisecond, so
// it is exact; written from the documented algorithm (refill by elapsed
// time, capped at the size), not from Throttle's GCRA.
type refBucket struct {
	units, size, perMS int64
	at                 time.Time
}

const unit = 2000 // units per token

func (b *refBucket) level(now time.Time) int64 {
	return min(b.size, b.units+now.Sub(b.at).Milliseconds()*b.perMS)
}

// TestAgainstReference replays random requests from a few principals on a
// few subscriptions, with random gaps, against the reference model.
func TestAgainstReference(t *testing.T) {
	c := newClock()
	cfg := Config{Now: c.now, Reads: Bucket{Size: 5, Refill: 2}, Writes: Bucket{Size: 3, Refill: 1}, Deletes: Bucket{Size: 2, Refill: 0.5}, GlobalFactor: 2}
	th := New(cfg)
	ref := map[string]*refBucket{}
	get := func(name string, size, perMS int64) *refBucket {
		b, ok := ref[name]
		if !ok {
			b = &refBucket{units: size * unit, size: size * unit, perMS: perMS, at: c.t}
			ref[name] = b
		}
		return b
	}
	// size, and units per ms (refill per second × 2000 / 1000).
	shapes := map[Kind][2]int64{Read: {5, 4}, Write: {3, 2}, Delete: {2, 1}}
	subs := []string{"", sub1, "00000000-0000-0000-0000-000000000002"}
	rng := rand.New(rand.NewPCG(1, 2))
	admitted := 0
	for i := range 20_000 {
		c.advance(time.Duration(rng.IntN(60)) * time.Millisecond)
		sub, actor, kind := subs[rng.IntN(3)], fmt.Sprint("p", rng.IntN(4)), Kind(rng.IntN(3))
		sh := shapes[kind]
		own := get(fmt.Sprint(sub, "/", actor, "/", kind), sh[0], sh[1])
		var glob *refBucket
		if sub != "" {
			glob = get(fmt.Sprint(sub, "//", kind), 2*sh[0], 2*sh[1])
		}
		ownL := own.level(c.t)
		globL := int64(math.MaxInt64)
		if glob != nil {
			globL = glob.level(c.t)
		}
		want := ownL >= unit && globL >= unit
		got := th.Take(sub, actor, kind)
		if got.OK != want {
			t.Fatalf("request %d (%q %s %v): got %+v, reference own %d global %d (of %d per token)", i, sub, actor, kind, got, ownL, globL, unit)
		}
		if want {
			admitted++
			ownL -= unit
			own.units, own.at = ownL, c.t
			if glob != nil {
				globL -= unit
				glob.units, glob.at = globL, c.t
			}
		} else {
			var wait int64 // ns
			if ownL < unit {
				wait = (unit - ownL) * int64(time.Millisecond) / own.perMS
			}
			if glob != nil && globL < unit {
				wait = max(wait, (unit-globL)*int64(time.Millisecond)/glob.perMS)
			}
			if got.RetryAfter != time.Duration(wait) {
				t.Fatalf("request %d: retry after %v, reference %v", i, got.RetryAfter, time.Duration(wait))
			}
		}
		if got.Remaining != int(ownL/unit) {
			t.Fatalf("request %d: remaining %d, reference %d units", i, got.Remaining, ownL)
		}
		if glob != nil && got.Global != int(globL/unit) {
			t.Fatalf("request %d: global %d, reference %d units", i, got.Global, globL)
		}
	}
	if admitted < 2_000 || admitted > 18_000 {
		t.Fatalf("%d of 20000 admitted: the replay does not exercise both outcomes", admitted)
	}
}

// BenchmarkTake charges a request of a principal with a subscription (two
// buckets). BenchmarkTakeXRate does the same work with
// golang.org/x/time/rate limiters in the same map, the library this
// package would otherwise use (see bucket for why it does not).
func BenchmarkTake(b *testing.B) {
	th := New(Config{Reads: Bucket{Size: 1 << 30, Refill: 1 << 20}})
	b.ReportAllocs()
	for b.Loop() {
		th.Take(sub1, "alice", Read)
	}
}

func BenchmarkTakeXRate(b *testing.B) {
	var mu sync.Mutex
	m := map[key]*rate.Limiter{}
	get := func(k key) *rate.Limiter {
		l, ok := m[k]
		if !ok {
			l = rate.NewLimiter(1<<20, 1<<30)
			m[k] = l
		}
		return l
	}
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		mu.Lock()
		own, glob := get(key{scope: sub1, actor: "alice"}), get(key{scope: sub1})
		if own.TokensAt(now) >= 1 && glob.TokensAt(now) >= 1 {
			own.AllowN(now, 1)
			glob.AllowN(now, 1)
		}
		mu.Unlock()
	}
}

// TestClockStepBack: a wall clock that steps back (NTP, a resumed VM)
// does not empty the buckets of recent callers. With time.Now the
// monotonic reading ignores the step; a clock without one is held at the
// latest time seen.
func TestClockStepBack(t *testing.T) {
	c := newClock()
	th := New(Config{Now: c.now})
	th.Take(sub1, "alice", Read)
	c.advance(5 * time.Second)
	c.advance(-2 * time.Minute)
	r := th.Take(sub1, "alice", Read)
	if !r.OK || r.Remaining < 248 || r.Global < 3748 {
		t.Fatalf("after a 2 min step back: %+v", r)
	}
	// time.Now: a bucket drained now is refilled by real time only.
	th2 := New(Config{Writes: Bucket{Size: 1, Refill: 1000}})
	if !th2.Take(sub1, "bob", Write).OK {
		t.Fatal("first write refused")
	}
	time.Sleep(5 * time.Millisecond)
	if r := th2.Take(sub1, "bob", Write); !r.OK || r.Remaining < 0 {
		t.Fatalf("after 5 ms at 1000/s: %+v", r)
	}
}

// TestShedKeepsTheRequestsBuckets: when the bound is reached, the buckets
// a request charges are made after room is made, so its charge is kept.
func TestShedKeepsTheRequestsBuckets(t *testing.T) {
	c := newClock()
	th := New(Config{Now: c.now, MaxBuckets: 8, Writes: Bucket{Size: 2, Refill: 0.001}})
	for i := range 100 {
		sub := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		th.Take(sub, "filler", Read) // full a moment later: sheddable
		c.advance(time.Second)
		if r := th.Take(sub, "w", Write); !r.OK || r.Remaining != 1 {
			t.Fatalf("%d: first write %+v", i, r)
		}
		if r := th.Take(sub, "w", Write); !r.OK || r.Remaining != 0 {
			t.Fatalf("%d: second write %+v: the first write's bucket was shed", i, r)
		}
		if n := th.Stats().Buckets; n > 8 {
			t.Fatalf("%d buckets, bound 8", n)
		}
	}
}
