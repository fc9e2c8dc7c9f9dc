package console

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder bounds, with their defaults (RecorderConfig zero values).
const (
	DefaultMaxRoutes   = 4096 // routes with a history; a decision for one more is dropped and counted
	DefaultRefusalRing = 32   // latest refusals kept per route
	maxReasons         = 64   // distinct reason strings; more are recorded as "other"
	historyMinutes     = 60   // per-minute counters kept per route
	countBits          = 20   // bits of one per-minute counter (saturates at 1,048,575)
	countMax           = 1<<countBits - 1
	minuteBits         = 64 - 2*countBits // 24 bits of minute number (wraps after 31 years)
)

// Unrouted is the route name of refusals taken before a route was known
// (the front door's early check: no route admits the client; a bad PROXY
// header or ClientHello). Its history always exists and does not count
// against MaxRoutes.
const Unrouted = ""

// RecorderConfig sizes a Recorder.
type RecorderConfig struct {
	MaxRoutes   int // 0: DefaultMaxRoutes
	RefusalRing int // 0: DefaultRefusalRing
	// Reasons are interned up front (the front door's reason constants),
	// so Record never finds the reason table busy for them.
	Reasons []string
}

// Recorder keeps, per front-door route, admitted and refused counts per
// minute for the last hour and the latest refusals (time, client, reason).
// Record is what the front door calls from its decision path: it takes no
// lock held by anyone else (a route's first decision takes a TryLock and
// drops the decision if it is busy), allocates nothing once the route has
// a history, and never blocks. Readers (History) take a consistent copy
// without stopping writers. Memory is bounded: at most MaxRoutes histories
// of a fixed size each; SetRoutes adds the routes of a new table up front
// and drops the histories of routes that are gone.
// The zero Recorder is not usable: use NewRecorder. A nil *Recorder
// records nothing and returns empty histories.
type Recorder struct {
	maxRoutes, ring int
	routes          atomic.Pointer[map[string]*routeHistory]
	grow            sync.Mutex // copy-on-write of routes
	reasons         atomic.Pointer[[]string]
	reasonMu        sync.Mutex
	dropped         atomic.Uint64
}

// NewRecorder returns an empty Recorder.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.MaxRoutes <= 0 {
		cfg.MaxRoutes = DefaultMaxRoutes
	}
	if cfg.RefusalRing <= 0 {
		cfg.RefusalRing = DefaultRefusalRing
	}
	r := &Recorder{maxRoutes: cfg.MaxRoutes, ring: cfg.RefusalRing}
	m := map[string]*routeHistory{Unrouted: {refusals: make([]refusalSlot, r.ring)}}
	r.routes.Store(&m)
	reasons := make([]string, 0, maxReasons)
	r.reasons.Store(&reasons)
	for _, reason := range cfg.Reasons {
		r.reasonIndex(reason)
	}
	return r
}

// routeHistory is one route's fixed-size record.
type routeHistory struct {
	minutes  [historyMinutes]atomic.Uint64 // minute<<40 | admitted<<20 | refused
	next     atomic.Uint64                 // refusals written so far (ring head)
	refusals []refusalSlot
}

// refusalSlot is one ring entry, written and read with atomics only: seq is
// odd while a writer fills it (a seqlock whose fields are atomics, so a
// reader copies it without a data race and skips a torn entry).
type refusalSlot struct {
	seq    atomic.Uint64
	at     atomic.Int64  // UnixNano
	hi, lo atomic.Uint64 // address bytes
	kind   atomic.Uint32 // 0 none, 4 IPv4, 6 IPv6
	reason atomic.Uint32 // index into Recorder.reasons
}

// Record notes one decision of the front door for route: client was
// admitted (allowed) or refused for reason, at time at. It is safe for
// concurrent use and meant for the connection path (see Recorder).
func (r *Recorder) Record(route string, client netip.Addr, allowed bool, reason string, at time.Time) {
	if r == nil {
		return
	}
	h := (*r.routes.Load())[route]
	if h == nil {
		if h = r.add(route); h == nil {
			r.dropped.Add(1)
			return
		}
	}
	h.count(uint64(at.Unix()/60), allowed)
	if !allowed {
		h.refuse(r.reasonIndex(reason), client, at)
	}
}

// Dropped counts the decisions not recorded because the route table was
// full or busy growing.
func (r *Recorder) Dropped() uint64 {
	if r == nil {
		return 0
	}
	return r.dropped.Load()
}

// add gives route a history (copy-on-write), or nil when the table is full
// or another route is being added at this moment.
func (r *Recorder) add(route string) *routeHistory {
	if !r.grow.TryLock() {
		return nil
	}
	defer r.grow.Unlock()
	old := *r.routes.Load()
	if h := old[route]; h != nil {
		return h
	}
	if len(old)-1 >= r.maxRoutes {
		return nil
	}
	m := make(map[string]*routeHistory, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	h := &routeHistory{refusals: make([]refusalSlot, r.ring)}
	m[route] = h
	r.routes.Store(&m)
	return h
}

// SetRoutes makes the histories match the route table: a history for each
// name (up to MaxRoutes; existing ones are kept), none for the others, so
// deleted clusters free their slot. Call it whenever the table changes;
// Record then never takes the slow path that adds a route.
func (r *Recorder) SetRoutes(names []string) {
	if r == nil {
		return
	}
	r.grow.Lock()
	defer r.grow.Unlock()
	old := *r.routes.Load()
	m := make(map[string]*routeHistory, len(names)+1)
	m[Unrouted] = old[Unrouted]
	for _, n := range names {
		if h := old[n]; h != nil {
			m[n] = h
		} else if len(m)-1 < r.maxRoutes {
			m[n] = &routeHistory{refusals: make([]refusalSlot, r.ring)}
		}
	}
	r.routes.Store(&m)
}

// reasonIndex interns reason; the table is small and append-only.
func (r *Recorder) reasonIndex(reason string) uint32 {
	rs := *r.reasons.Load()
	for i, s := range rs {
		if s == reason {
			return uint32(i) + 1
		}
	}
	if !r.reasonMu.TryLock() {
		return 0
	}
	defer r.reasonMu.Unlock()
	rs = *r.reasons.Load()
	for i, s := range rs {
		if s == reason {
			return uint32(i) + 1
		}
	}
	if len(rs) >= maxReasons {
		return 0
	}
	grown := append(rs[:len(rs):len(rs)], reason)
	r.reasons.Store(&grown)
	return uint32(len(grown))
}

func (r *Recorder) reasonName(i uint32) string {
	rs := *r.reasons.Load()
	if i == 0 || int(i) > len(rs) {
		return "other"
	}
	return rs[i-1]
}

// count adds one decision to minute m's counters.
func (h *routeHistory) count(m uint64, allowed bool) {
	m &= 1<<minuteBits - 1
	b := &h.minutes[m%historyMinutes]
	for {
		v := b.Load()
		adm, ref := (v>>countBits)&countMax, v&countMax
		if v>>(2*countBits) != m {
			adm, ref = 0, 0
		}
		if allowed && adm < countMax {
			adm++
		} else if !allowed && ref < countMax {
			ref++
		}
		if b.CompareAndSwap(v, m<<(2*countBits)|adm<<countBits|ref) {
			return
		}
	}
}

// refuse writes one refusal into the ring.
func (h *routeHistory) refuse(reason uint32, client netip.Addr, at time.Time) {
	n := h.next.Add(1) - 1
	s := &h.refusals[n%uint64(len(h.refusals))]
	seq := s.seq.Load()
	if seq%2 == 1 || !s.seq.CompareAndSwap(seq, seq+1) {
		return // another writer holds this slot (the ring wrapped under load): keep its entry
	}
	s.at.Store(at.UnixNano())
	var kind uint32
	var hi, lo uint64
	if client.IsValid() {
		c := client.Unmap()
		b := c.As16()
		for i := range 8 {
			hi, lo = hi<<8|uint64(b[i]), lo<<8|uint64(b[8+i])
		}
		kind = 6
		if c.Is4() {
			kind = 4
		}
	}
	s.hi.Store(hi)
	s.lo.Store(lo)
	s.kind.Store(kind)
	s.reason.Store(reason)
	s.seq.Store(seq + 2) // even: complete
}

// Refusal is one refused connection.
type Refusal struct {
	At     time.Time
	Client netip.Addr // zero when the front door had none (bad PROXY header)
	Reason string
}

// Minute is one minute's counts.
type Minute struct {
	Start             time.Time
	Admitted, Refused int
}

// History is one route's record: Minutes[0] is the oldest of the last
// hour, Minutes[59] the current minute; Refusals newest first.
type History struct {
	Minutes           []Minute
	Admitted, Refused int // over the hour
	Refusals          []Refusal
}

// History returns route's record as of now (empty when it has none).
func (r *Recorder) History(route string, now time.Time) History {
	cur := now.Unix() / 60
	out := History{Minutes: make([]Minute, historyMinutes)}
	for i := range out.Minutes {
		out.Minutes[i].Start = time.Unix((cur-historyMinutes+1+int64(i))*60, 0).UTC()
	}
	if r == nil {
		return out
	}
	h := (*r.routes.Load())[route]
	if h == nil {
		return out
	}
	for i := range out.Minutes {
		m := uint64(cur-historyMinutes+1+int64(i)) & (1<<minuteBits - 1)
		v := h.minutes[m%historyMinutes].Load()
		if v>>(2*countBits) != m {
			continue
		}
		out.Minutes[i].Admitted, out.Minutes[i].Refused = int((v>>countBits)&countMax), int(v&countMax)
		out.Admitted += out.Minutes[i].Admitted
		out.Refused += out.Minutes[i].Refused
	}
	out.Refusals = r.refusalsOf(h)
	return out
}

// refusalsOf copies the ring, newest first, skipping entries being written.
func (r *Recorder) refusalsOf(h *routeHistory) []Refusal {
	n := h.next.Load()
	size := uint64(len(h.refusals))
	var out []Refusal
	for k := uint64(0); k < size && k < n; k++ {
		s := &h.refusals[(n-1-k)%size]
		seq := s.seq.Load()
		if seq%2 == 1 {
			continue
		}
		at, hi, lo, kind, reason := s.at.Load(), s.hi.Load(), s.lo.Load(), s.kind.Load(), s.reason.Load()
		if s.seq.Load() != seq || seq == 0 {
			continue
		}
		out = append(out, Refusal{At: time.Unix(0, at).UTC(), Client: addrOf(kind, hi, lo), Reason: r.reasonName(reason)})
	}
	return out
}

func addrOf(kind uint32, hi, lo uint64) netip.Addr {
	if kind == 0 {
		return netip.Addr{}
	}
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i], b[8+i] = byte(hi), byte(lo)
		hi, lo = hi>>8, lo>>8
	}
	a := netip.AddrFrom16(b)
	if kind == 4 {
		a = a.Unmap()
	}
	return a
}

// Totals returns route's admitted and refused counts over the hour ending
// at now's minute, without building the per-minute slice.
func (r *Recorder) Totals(route string, now time.Time) (admitted, refused int) {
	if r == nil {
		return 0, 0
	}
	h := (*r.routes.Load())[route]
	if h == nil {
		return 0, 0
	}
	cur := now.Unix() / 60
	for i := int64(0); i < historyMinutes; i++ {
		m := uint64(cur-i) & (1<<minuteBits - 1)
		v := h.minutes[m%historyMinutes].Load()
		if v>>(2*countBits) == m {
			admitted += int((v >> countBits) & countMax)
			refused += int(v & countMax)
		}
	}
	return admitted, refused
}
