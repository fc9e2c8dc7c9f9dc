package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stalledWriter blocks every Write until release is closed (never, unless
// the test says so).
type stalledWriter struct{ release chan struct{} }

func (w *stalledWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

func counters() (dropped, collapsed prometheus.Counter) {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "d"}), prometheus.NewCounter(prometheus.CounterOpts{Name: "c"})
}

func TestAuditStalledSinkDropsNeverBlocks(t *testing.T) {
	w := &stalledWriter{release: make(chan struct{})}
	defer close(w.release)
	dropped, collapsed := counters()
	a := newAuditWriter(w, time.Millisecond, dropped, collapsed)
	const n = 50_000 // ~10 MiB of lines: far past MaxAuditPending
	start := time.Now()
	for i := range n {
		a.add(&auditRecord{time: time.Now(), msg: "denied", client: netip.AddrFrom4([4]byte{20, byte(i >> 16), byte(i >> 8), byte(i)}),
			peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonNotAuthorized, sni: []byte(strings.Repeat("x", 200))})
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d adds into a stalled sink took %s", n, d)
	}
	if got := metricValue(t, dropped); got < n/2 {
		t.Errorf("dropped = %v, want most of %d", got, n)
	}
	a.mu.Lock()
	pending := len(a.buf)
	a.mu.Unlock()
	if pending > MaxAuditPending {
		t.Errorf("%d bytes pending, want ≤ %d", pending, MaxAuditPending)
	}
	if err := a.flush(); !errors.Is(err, ErrAuditStalled) {
		t.Errorf("flush on a stalled sink = %v, want ErrAuditStalled", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := a.close(ctx); !errors.Is(err, ErrAuditStalled) {
		t.Errorf("close on a stalled sink = %v, want ErrAuditStalled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("close took %s with a 100 ms deadline", d)
	}
}

func TestAuditCollapse(t *testing.T) {
	w := &countingWriter{}
	dropped, collapsed := counters()
	a := newAuditWriter(w, time.Hour, dropped, collapsed)
	now := time.Now()
	rec := func(client string, reason string, at time.Duration) *auditRecord {
		return &auditRecord{time: now.Add(at), msg: "denied", route: "prod", client: netip.MustParseAddr(client),
			peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: reason, sni: []byte("a.example.test")}
	}
	for i := range 100 {
		a.add(rec("8.8.8.8", ReasonNotAuthorized, time.Duration(i)*time.Millisecond))
	}
	a.add(rec("8.8.4.4", ReasonNotAuthorized, 0))             // another client
	a.add(rec("8.8.8.8", ReasonBadClientHello, 0))            // another reason
	a.add(rec("8.8.8.8", ReasonNotAuthorized, 2*time.Second)) // after the window: a line of its own, and the 99 repeats
	a.add(&auditRecord{time: now, msg: "revoked", route: "prod", client: netip.MustParseAddr("8.8.8.8"), reason: ReasonRevoked})
	a.add(&auditRecord{time: now, msg: "revoked", route: "prod", client: netip.MustParseAddr("8.8.8.8"), reason: ReasonRevoked})
	if err := a.flush(); err != nil {
		t.Fatal(err)
	}
	_, lines := w.snapshot()
	type line struct {
		Msg, Client, Reason string
		Count               int
	}
	got := decodeLines[line](t, lines)
	want := []line{
		{"denied", "8.8.8.8", ReasonNotAuthorized, 1},
		{"denied", "8.8.4.4", ReasonNotAuthorized, 1},
		{"denied", "8.8.8.8", ReasonBadClientHello, 1},
		{"denied", "8.8.8.8", ReasonNotAuthorized, 99}, // the first window's repeats
		{"denied", "8.8.8.8", ReasonNotAuthorized, 1},  // the new window's first
		{"revoked", "8.8.8.8", ReasonRevoked, 1},       // never collapsed
		{"revoked", "8.8.8.8", ReasonRevoked, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("lines = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := metricValue(t, collapsed); n != 99 {
		t.Errorf("collapsed = %v, want 99", n)
	}
	a.close(context.Background())
}

// TestAuditCollapsedSNI: the collapsed line carries the last repeat's
// server name, cut to MaxAuditSNI, copied from the record (the caller's
// buffer is reused) and not mixed with a longer name seen before it; a
// repeat with a name no longer than one seen before allocates nothing.
func TestAuditCollapsedSNI(t *testing.T) {
	tests := []struct {
		name  string
		snis  []string // of the first denial and its repeats, in order
		want  string   // in the collapsed line
		count int
	}{
		{name: "no sni", snis: []string{"", "", ""}, want: "", count: 2},
		{name: "longer then shorter", snis: []string{"x", strings.Repeat("b", 40), "a.example.test"}, want: "a.example.test", count: 2},
		{name: "cut", snis: []string{"x", strings.Repeat("c", 8000)}, want: strings.Repeat("c", MaxAuditSNI), count: 1},
		{name: "empty after long", snis: []string{"x", strings.Repeat("d", 300), ""}, want: "", count: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &countingWriter{}
			dropped, collapsed := counters()
			a := newAuditWriter(w, time.Hour, dropped, collapsed)
			defer a.close(context.Background())
			now := time.Now()
			for i, sni := range tt.snis {
				buf := []byte(sni)
				a.add(&auditRecord{time: now.Add(time.Duration(i) * time.Millisecond), msg: "denied", route: "prod",
					client: netip.MustParseAddr("8.8.8.8"), peer: netip.MustParseAddrPort("127.0.0.1:1"),
					reason: ReasonNotAuthorized, sni: buf})
				for j := range buf {
					buf[j] = '!' // the caller's buffer is reused
				}
			}
			a.mu.Lock()
			a.sweepLocked(now.Add(time.Hour), true)
			a.mu.Unlock()
			if err := a.flush(); err != nil {
				t.Fatal(err)
			}
			_, lines := w.snapshot()
			if len(lines) != 2 {
				t.Fatalf("lines = %q, want the first denial and one collapsed line", lines)
			}
			var got struct {
				SNI   string
				Count int
			}
			if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
				t.Fatalf("%q: %v", lines[1], err)
			}
			if got.SNI != tt.want || got.Count != tt.count {
				t.Errorf("collapsed line sni %q count %d, want %q and %d", got.SNI, got.Count, tt.want, tt.count)
			}
		})
	}
	t.Run("repeat allocates nothing", func(t *testing.T) {
		dropped, collapsed := counters()
		a := newAuditWriter(io.Discard, time.Hour, dropped, collapsed)
		defer a.close(context.Background())
		r := &auditRecord{time: time.Now(), msg: "denied", route: "prod", client: netip.MustParseAddr("8.8.8.8"),
			peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonNotAuthorized, sni: []byte("a.example.test")}
		a.add(r)
		a.add(r) // the first repeat sizes the aggregate's name buffer
		if n := testing.AllocsPerRun(100, func() { a.add(r) }); n != 0 {
			t.Errorf("a collapsed repeat allocates %v times, want 0", n)
		}
	})
}

func TestAuditSNICut(t *testing.T) {
	r := &auditRecord{time: time.Now(), msg: "denied", sni: []byte(strings.Repeat("a", 8000))}
	var m map[string]any
	if err := json.Unmarshal(appendAuditLine(nil, r), &m); err != nil {
		t.Fatal(err)
	}
	if sni := m["sni"].(string); len(sni) != MaxAuditSNI {
		t.Errorf("sni in the line has %d bytes, want %d", len(sni), MaxAuditSNI)
	}
}

func TestShutdownWithStalledAudit(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(w io.Writer) Config
	}{
		{name: "Config.Audit", cfg: func(w io.Writer) Config { return Config{Audit: w, AuditFlushInterval: time.Millisecond} }},
		{name: "Config.Logger", cfg: func(w io.Writer) Config {
			return Config{Logger: slog.New(slog.NewJSONHandler(w, nil)), AuditFlushInterval: time.Millisecond}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &stalledWriter{release: make(chan struct{})}
			defer close(w.release)
			g, err := New(tt.cfg(w))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for i := range 20_000 {
				g.audit("denied", nil, ReasonNoRoute, netip.AddrFrom4([4]byte{1, 2, byte(i >> 8), byte(i)}), netip.MustParseAddrPort("127.0.0.1:1"), nil, "")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("20,000 denials with a stalled sink took %s", d)
			}
			if metricValue(t, g.metrics.auditDropped) == 0 {
				t.Error("nothing dropped with a stalled sink")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start = time.Now()
			err = g.Shutdown(ctx)
			if d := time.Since(start); d > time.Second {
				t.Errorf("Shutdown took %s with a 200 ms deadline and a stalled audit sink", d)
			}
			if !errors.Is(err, ErrAuditStalled) {
				t.Errorf("Shutdown = %v, want ErrAuditStalled", err)
			}
		})
	}
}

// TestAuditCollapseIPv6Slash64: denials from one IPv6 /64 collapse
// whatever address of it they come from (one host holds the whole /64);
// the collapsed line names the /64 in clientPrefix and the last address
// in client; another /64 and IPv4 addresses keep lines of their own; the
// slog sink carries clientPrefix too.
func TestAuditCollapseIPv6Slash64(t *testing.T) {
	for _, via := range []string{"writer", "slog"} {
		t.Run(via, func(t *testing.T) {
			w := &countingWriter{}
			var sink io.Writer = w
			if via == "slog" {
				sink = slogSink{slog.NewJSONHandler(w, nil).WithAttrs(nil)}
			}
			dropped, collapsed := counters()
			a := newAuditWriter(sink, time.Hour, dropped, collapsed)
			defer a.close(context.Background())
			now := time.Now()
			add := func(client string, at int) {
				a.add(&auditRecord{time: now.Add(time.Duration(at) * time.Millisecond), msg: "denied", route: "prod",
					client: netip.MustParseAddr(client), peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonNotAuthorized})
			}
			for i := range 100 {
				add(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1), 14: byte(i)}).String(), i)
			}
			add("2001:db8:0:1::1", 0) // another /64
			add("20.0.0.1", 0)
			add("20.0.0.2", 0) // IPv4: per address
			if err := a.flush(); err != nil {
				t.Fatal(err)
			}
			_, lines := w.snapshot()
			type line struct {
				Client, ClientPrefix string
				Count                int
			}
			got := decodeLines[line](t, lines)
			want := []line{
				{"2001:db8::1", "", 1},
				{"2001:db8:0:1::1", "", 1},
				{"20.0.0.1", "", 1},
				{"20.0.0.2", "", 1},
				{"2001:db8::6364", "2001:db8::/64", 99}, // the repeats, at the window's end
			}
			if len(got) != len(want) {
				t.Fatalf("lines %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// decodeLines decodes each JSON audit line into a T.
func decodeLines[T any](tb testing.TB, lines []string) []T {
	tb.Helper()
	var out []T
	for _, l := range lines {
		var x T
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			tb.Fatalf("%q: %v", l, err)
		}
		out = append(out, x)
	}
	return out
}
