package armthrottle

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind is a request's operation type.
type Kind uint8

const (
	Read Kind = iota
	Write
	Delete
)

// String is the kind as ARM's headers and messages spell it.
func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Delete:
		return "delete"
	default:
		return "write"
	}
}

// KindOf classifies an HTTP method as ARM does.
func KindOf(method string) Kind {
	switch method {
	case http.MethodGet, http.MethodHead:
		return Read
	case http.MethodDelete:
		return Delete
	default:
		return Write
	}
}

// Bucket is one token bucket's shape: Size tokens, Refill per second.
type Bucket struct {
	Size   int
	Refill float64
}

// Config shapes a Throttle. Zero fields take Azure's values.
type Config struct {
	Reads, Writes, Deletes Bucket // per principal (and subscription)
	// GlobalFactor sizes a subscription's global bucket of a kind: this
	// many times a principal's (size and refill). 0: 15.
	GlobalFactor int
	// MaxBuckets bounds the buckets kept (0: DefaultMaxBuckets).
	MaxBuckets int
	Now        func() time.Time
}

// Azure's buckets and the default bound.
var (
	AzureReads   = Bucket{Size: 250, Refill: 25}
	AzureWrites  = Bucket{Size: 200, Refill: 10}
	AzureDeletes = Bucket{Size: 200, Refill: 10}
)

const (
	AzureGlobalFactor = 15
	DefaultMaxBuckets = 1 << 16
)

// Result is Take's answer.
type Result struct {
	OK bool
	// Remaining is the whole tokens left in the principal's bucket after
	// the request (before it, when refused); Global the subscription's
	// global bucket's, -1 for a tenant request.
	Remaining, Global int
	// RetryAfter is how long until both buckets hold a token again
	// (refused requests only).
	RetryAfter time.Duration
}

type key struct {
	scope string // lower-case subscription id; "" tenant
	actor string // principal; "" the subscription's global bucket
	kind  Kind
}

// bucket is one token bucket as the time it is full again (GCRA: a
// request takes one emission interval T off the tokens; the bucket holds
// size - (full-now)/T tokens). Integers only: with golang.org/x/time/rate
// a bucket drained and refilled exactly (3,000 tokens taken, then 1/150 s)
// read 0.99999… tokens and refused with a Retry-After of 0, which
// TestAgainstReference caught.
type bucket struct {
	full int64 // when full again (ns since the Throttle's epoch); ≤ now: full
}

// shape is a bucket's size and emission interval.
type shape struct {
	size     int64
	interval int64 // ns per token
}

// Throttle keeps the buckets. The zero value is not usable: call New.
type Throttle struct {
	cfg       Config
	shapes    [3][2]shape // [kind][global]
	epoch     time.Time   // times are ns since it: monotonic with time.Now
	mu        sync.Mutex
	last      int64 // the latest now seen (mu): time never runs back for the buckets
	buckets   map[key]*bucket
	dropped   uint64
	throttled [3]uint64 // refused requests by kind
}

// New returns a Throttle shaped by cfg.
func New(cfg Config) *Throttle {
	def := func(b *Bucket, az Bucket) {
		if b.Size <= 0 || b.Refill <= 0 {
			*b = az
		}
	}
	def(&cfg.Reads, AzureReads)
	def(&cfg.Writes, AzureWrites)
	def(&cfg.Deletes, AzureDeletes)
	if cfg.GlobalFactor <= 0 {
		cfg.GlobalFactor = AzureGlobalFactor
	}
	if cfg.MaxBuckets <= 0 {
		cfg.MaxBuckets = DefaultMaxBuckets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Throttle{cfg: cfg, epoch: cfg.Now(), buckets: map[key]*bucket{}}
	for k, b := range [3]Bucket{Read: cfg.Reads, Write: cfg.Writes, Delete: cfg.Deletes} {
		g := float64(cfg.GlobalFactor)
		t.shapes[k][0] = shape{size: int64(b.Size), interval: max(int64(float64(time.Second)/b.Refill), 1)}
		t.shapes[k][1] = shape{size: int64(b.Size) * int64(cfg.GlobalFactor), interval: max(int64(float64(time.Second)/(b.Refill*g)), 1)}
	}
	return t
}

// Take charges one request of kind by actor in subscription sub ("" for a
// tenant request) and reports whether it may proceed. A refused request
// takes no token.
func (t *Throttle) Take(sub, actor string, kind Kind) Result {
	// Sub keeps time.Now's monotonic reading, so a wall-clock step (NTP,
	// a resumed VM) moves no bucket; a clock without one (tests) is kept
	// from running back by last.
	now := int64(t.cfg.Now().Sub(t.epoch))
	sub = strings.ToLower(sub)
	kind = min(kind, Delete)
	t.mu.Lock()
	defer t.mu.Unlock()
	now = max(now, t.last)
	t.last = now
	ownKey, globKey := key{scope: sub, actor: actor, kind: kind}, key{scope: sub, kind: kind}
	own, glob := t.buckets[ownKey], (*bucket)(nil)
	if sub != "" {
		glob = t.buckets[globKey]
	}
	if own == nil || (sub != "" && glob == nil) {
		// New buckets: make room first, sparing this request's, so the
		// charge it makes is kept.
		if len(t.buckets)+2 > t.cfg.MaxBuckets {
			t.shed(now, ownKey, globKey)
		}
		own = t.bucket(ownKey, now)
		if sub != "" {
			glob = t.bucket(globKey, now)
		}
	}
	osh, gsh := t.shapes[kind][0], t.shapes[kind][1]
	res := Result{Global: -1}
	// A bucket has a token when full - now ≤ (size-1)·T.
	ownWait := max(own.full, now) - now - (osh.size-1)*osh.interval
	var globWait int64 = math.MinInt64
	if glob != nil {
		globWait = max(glob.full, now) - now - (gsh.size-1)*gsh.interval
	}
	if ownWait <= 0 && globWait <= 0 {
		own.full = max(own.full, now) + osh.interval
		if glob != nil {
			glob.full = max(glob.full, now) + gsh.interval
		}
		res.OK = true
	} else {
		res.RetryAfter = time.Duration(max(ownWait, globWait, 0))
		t.throttled[kind]++
	}
	res.Remaining = tokens(own, osh, now)
	if glob != nil {
		res.Global = tokens(glob, gsh, now)
	}
	return res
}

// tokens is the whole tokens b holds at now (never negative).
func tokens(b *bucket, sh shape, now int64) int {
	return int(max(sh.size-(max(b.full, now)-now+sh.interval-1)/sh.interval, 0))
}

// bucket returns k's bucket, made full when new (Take has made room). t.mu
// is held.
func (t *Throttle) bucket(k key, now int64) *bucket {
	if b, ok := t.buckets[k]; ok {
		return b
	}
	b := &bucket{full: now}
	t.buckets[k] = b
	return b
}

// shed brings the buckets down to three quarters of MaxBuckets: full
// buckets first (dropping one changes nothing), then any but keep's. t.mu
// is held.
func (t *Throttle) shed(now int64, keep ...key) {
	target := t.cfg.MaxBuckets * 3 / 4
	for k, b := range t.buckets {
		if len(t.buckets) <= target {
			return
		}
		if b.full <= now {
			delete(t.buckets, k)
		}
	}
	for k := range t.buckets {
		if len(t.buckets) <= target {
			return
		}
		if slices.Contains(keep, k) {
			continue
		}
		delete(t.buckets, k)
		t.dropped++
	}
}

// Stats are a Throttle's counts (metrics).
type Stats struct {
	Buckets int
	// Dropped counts buckets dropped before they were full (MaxBuckets
	// reached with every bucket in use).
	Dropped uint64
	// Throttled counts refused requests, by Kind.
	Throttled [3]uint64
}

// Stats returns the counts.
func (t *Throttle) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{Buckets: len(t.buckets), Dropped: t.dropped, Throttled: t.throttled}
}
