package console

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var t0 = time.Date(2026, 12, 4, 22, 30, 15, 0, time.UTC)

type decision struct {
	route   string
	client  string
	allowed bool
	reason  string
	at      time.Duration // after t0
}

func TestRecorderHistory(t *testing.T) {
	tests := []struct {
		name              string
		cfg               RecorderConfig
		decisions         []decision
		route             string
		now               time.Duration
		admitted, refused int
		refusals          []string // "client reason", newest first
		lastMinuteRefused int
	}{
		{name: "empty", route: "r", now: 0},
		{name: "counts and refusals", route: "r", now: 0, admitted: 2, refused: 2, lastMinuteRefused: 2,
			decisions: []decision{{"r", "20.20.20.20", true, "authorized", 0}, {"r", "20.20.20.21", true, "authorized", 0},
				{"r", "192.0.2.1", false, "not-authorized", 0}, {"r", "2001:db8::1", false, "no-route", 0},
				{"other", "192.0.2.9", false, "not-authorized", 0}},
			refusals: []string{"2001:db8::1 no-route", "192.0.2.1 not-authorized"}},
		{name: "older than an hour is gone", route: "r", now: 61 * time.Minute, admitted: 1, refused: 0,
			decisions: []decision{{"r", "192.0.2.1", false, "x", 0}, {"r", "20.20.20.20", true, "authorized", 30 * time.Minute}},
			refusals:  []string{"192.0.2.1 x"}},
		{name: "a minute slot is reused, not added to", route: "r", now: 60 * time.Minute, refused: 1, lastMinuteRefused: 1,
			decisions: []decision{{"r", "192.0.2.1", false, "x", 0}, {"r", "192.0.2.2", false, "x", 60 * time.Minute}},
			refusals:  []string{"192.0.2.2 x", "192.0.2.1 x"}},
		{name: "ring keeps the newest", cfg: RecorderConfig{RefusalRing: 2}, route: "r", refused: 3, lastMinuteRefused: 3,
			decisions: []decision{{"r", "192.0.2.1", false, "a", 0}, {"r", "192.0.2.2", false, "b", 0}, {"r", "192.0.2.3", false, "c", 0}},
			refusals:  []string{"192.0.2.3 c", "192.0.2.2 b"}},
		{name: "mapped address is unmapped, invalid client kept as unknown", route: "r", refused: 2, lastMinuteRefused: 2,
			decisions: []decision{{"r", "::ffff:192.0.2.7", false, "a", 0}, {"r", "", false, "bad-proxy-header", 0}},
			refusals:  []string{"invalid IP bad-proxy-header", "192.0.2.7 a"}},
		{name: "route table full drops new routes", cfg: RecorderConfig{MaxRoutes: 1}, route: "second",
			decisions: []decision{{"first", "192.0.2.1", false, "a", 0}, {"second", "192.0.2.2", false, "b", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder(tt.cfg)
			for _, d := range tt.decisions {
				var a netip.Addr
				if d.client != "" {
					a = netip.MustParseAddr(d.client)
				}
				r.Record(d.route, a, d.allowed, d.reason, t0.Add(d.at))
			}
			h := r.History(tt.route, t0.Add(tt.now))
			if h.Admitted != tt.admitted || h.Refused != tt.refused {
				t.Errorf("totals %d/%d, want %d/%d", h.Admitted, h.Refused, tt.admitted, tt.refused)
			}
			if adm, ref := r.Totals(tt.route, t0.Add(tt.now)); adm != tt.admitted || ref != tt.refused {
				t.Errorf("Totals %d/%d, want %d/%d", adm, ref, tt.admitted, tt.refused)
			}
			if len(h.Minutes) != 60 || h.Minutes[59].Refused != tt.lastMinuteRefused {
				t.Errorf("minutes: %d, last refused %d, want %d", len(h.Minutes), h.Minutes[59].Refused, tt.lastMinuteRefused)
			}
			if got := h.Minutes[59].Start; !got.Equal(t0.Add(tt.now).Truncate(time.Minute)) {
				t.Errorf("last minute starts %v", got)
			}
			var got []string
			for _, f := range h.Refusals {
				got = append(got, f.Client.String()+" "+f.Reason)
			}
			if strings.Join(got, "|") != strings.Join(tt.refusals, "|") {
				t.Errorf("refusals %q, want %q", got, tt.refusals)
			}
		})
	}
}

func TestRecorderSetRoutesAndDropped(t *testing.T) {
	r := NewRecorder(RecorderConfig{MaxRoutes: 2})
	a := netip.MustParseAddr("192.0.2.1")
	r.Record("a", a, false, "x", t0)
	r.Record("b", a, false, "x", t0)
	r.Record("c", a, false, "x", t0)
	if r.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", r.Dropped())
	}
	r.SetRoutes([]string{"b", "d"})
	if _, ref := r.Totals("a", t0); ref != 0 {
		t.Fatalf("a kept after SetRoutes")
	}
	if _, ref := r.Totals("b", t0); ref != 1 {
		t.Fatalf("b lost its history in SetRoutes")
	}
	r.Record("d", a, false, "x", t0)
	r.Record("c", a, false, "x", t0)
	if _, ref := r.Totals("d", t0); ref != 1 || r.Dropped() != 2 {
		t.Fatalf("d: %d refused, %d dropped; want 1 and 2", ref, r.Dropped())
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(r)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if got["tagwall_console_decisions_dropped_total"] != 2 || got["tagwall_console_recorded_routes"] != 3 {
		t.Fatalf("metrics %v, want 2 dropped and 3 routes (b, d and the unrouted)", got)
	}
	var nilRec *Recorder
	nilRec.Record("a", a, true, "", t0)
	if h := nilRec.History("a", t0); len(h.Minutes) != 60 || h.Refused != 0 {
		t.Fatalf("nil recorder history %+v", h)
	}
}

func TestRecorderReasonTableBound(t *testing.T) {
	r := NewRecorder(RecorderConfig{RefusalRing: maxReasons + 8})
	a := netip.MustParseAddr("192.0.2.1")
	for i := range maxReasons + 5 {
		r.Record("r", a, false, fmt.Sprintf("reason-%d", i), t0)
	}
	h := r.History("r", t0)
	if h.Refusals[0].Reason != "other" || h.Refusals[len(h.Refusals)-1].Reason != "reason-0" {
		t.Fatalf("reasons: newest %q oldest %q", h.Refusals[0].Reason, h.Refusals[len(h.Refusals)-1].Reason)
	}
}

// TestRecordAllocs: the connection path allocates nothing once a route is
// known.
func TestRecordAllocs(t *testing.T) {
	r := NewRecorder(RecorderConfig{})
	a := netip.MustParseAddr("2001:db8::7")
	r.Record("route", a, false, "not-authorized", t0)
	allocs := testing.AllocsPerRun(1000, func() {
		r.Record("route", a, false, "not-authorized", t0)
		r.Record("route", a, true, "authorized", t0)
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %.1f times", allocs)
	}
}

// TestRecorderConcurrent runs writers and readers together (for -race) and
// checks that no count is lost and every listed refusal is whole.
func TestRecorderConcurrent(t *testing.T) {
	r := NewRecorder(RecorderConfig{RefusalRing: 8})
	r.SetRoutes([]string{"r"})
	const writers, each = 8, 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, f := range r.History("r", t0).Refusals {
				want := fmt.Sprintf("w%d", f.Client.As4()[3])
				if f.Reason != want && f.Reason != "other" { // other: the intern table was busy
					t.Errorf("torn refusal: client %s reason %s", f.Client, f.Reason)
				}
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			a := netip.AddrFrom4([4]byte{192, 0, 2, byte(w)})
			for i := range each {
				r.Record("r", a, i%2 == 0, fmt.Sprintf("w%d", w), t0)
			}
		})
	}
	wg.Wait()
	close(stop)
	if adm, ref := r.Totals("r", t0); adm != writers*each/2 || ref != writers*each/2 {
		t.Fatalf("totals %d/%d, want %d each", adm, ref, writers*each/2)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(RecorderConfig{})
	a := netip.MustParseAddr("192.0.2.1")
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.Record("route", a, i%4 != 0, "not-authorized", now)
			i++
		}
	})
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
