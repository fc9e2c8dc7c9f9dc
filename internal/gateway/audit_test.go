package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// slogLine is the reference: the line slog.NewJSONHandler writes for r.
func slogLine(r *auditRecord) []byte {
	var buf bytes.Buffer
	client := ""
	if r.client.IsValid() {
		client = r.client.String()
	}
	rec := slog.NewRecord(r.time, slog.LevelInfo, r.msg, 0)
	rec.AddAttrs(slog.String("route", r.route), slog.String("client", client))
	if r.count > 0 && r.client.Is6() {
		rec.AddAttrs(slog.String("clientPrefix", netip.PrefixFrom(r.client, 64).Masked().String()))
	}
	rec.AddAttrs(
		slog.String("peer", r.peer.String()),
		slog.String("sni", string(r.sni[:min(len(r.sni), MaxAuditSNI)])),
		slog.String("reason", r.reason),
		slog.String("version", r.version),
		slog.Int("count", max(r.count, 1)),
	)
	slog.NewJSONHandler(&buf, nil).Handle(context.Background(), rec)
	return buf.Bytes()
}

func TestAppendAuditLine(t *testing.T) {
	when := time.Date(2026, 11, 26, 19, 30, 49, 123456789, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		rec  auditRecord
	}{
		{"denied", auditRecord{time: when, msg: "denied", route: "prod", client: netip.MustParseAddr("8.8.8.8"),
			peer: netip.MustParseAddrPort("127.0.0.1:51234"), sni: []byte("api.prod.example.test"), reason: ReasonNotAuthorized, version: "1f0c90869eea"}},
		{"no client no route", auditRecord{time: when.UTC(), msg: "denied", peer: netip.MustParseAddrPort("[::1]:9"), reason: ReasonBadProxyHeader}},
		{"ipv6 client", auditRecord{time: when, msg: "revoked", route: "r", client: netip.MustParseAddr("2001:db8::1"),
			peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonRevoked}},
		{"collapsed ipv6 /64", auditRecord{time: when, msg: "denied", route: "r", client: netip.MustParseAddr("2001:db8::9"),
			peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonNotAuthorized, count: 7}},
		{"whole second", auditRecord{time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), msg: "allowed"}},
		{"escapes", auditRecord{time: when, msg: "denied", sni: []byte("a\"b\\c\n\r\t\x00\x1f\x7f<>&\u2028\u2029é\xff\xc3"), route: "\u2029"}},
		{"collapsed count", auditRecord{time: when, msg: "denied", route: "prod", client: netip.MustParseAddr("8.8.8.8"), reason: ReasonNotAuthorized, count: 4182}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendAuditLine(nil, &tt.rec)
			if len(tt.rec.sni) > MaxAuditSNI {
				t.Fatal("fixture longer than MaxAuditSNI")
			}
			if want := slogLine(&tt.rec); !bytes.Equal(got, want) {
				t.Errorf("line\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestAppendAuditLineAllocs(t *testing.T) {
	r := &auditRecord{time: time.Now(), msg: "denied", route: "prod", client: netip.MustParseAddr("8.8.8.8"),
		peer: netip.MustParseAddrPort("127.0.0.1:51234"), sni: []byte("api.prod.example.test"), reason: ReasonNotAuthorized, version: "1"}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = appendAuditLine(buf[:0], r) }); n != 0 {
		t.Errorf("appendAuditLine allocates %v times, want 0", n)
	}
}

// FuzzAuditLine checks the hand-rolled encoder against slog's JSONHandler
// for arbitrary SNI bytes and route names.
func FuzzAuditLine(f *testing.F) {
	f.Add([]byte("api.prod.example.test"), "prod", int64(1764185449123456789))
	f.Add([]byte("\xff\xfe\"\\\u2028"), "\x00", int64(0))
	f.Fuzz(func(t *testing.T, sni []byte, route string, nanos int64) {
		r := &auditRecord{time: time.Unix(0, nanos).UTC(), msg: "denied", route: route, sni: sni,
			client: netip.MustParseAddr("8.8.8.8"), peer: netip.MustParseAddrPort("127.0.0.1:1"), reason: ReasonNoRoute}
		got := appendAuditLine(nil, r)
		if want := slogLine(r); !bytes.Equal(got, want) {
			t.Fatalf("line\n got %s\nwant %s", got, want)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", got, err)
		}
	})
}

// countingWriter records each Write call.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
	err    error
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), w.err
}

func (w *countingWriter) snapshot() (writes int, lines []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.writes {
		if len(p) == 0 || p[len(p)-1] != '\n' {
			return -1, nil // a split line
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(p), "\n"), "\n")...)
	}
	return len(w.writes), lines
}

func TestAuditWriter(t *testing.T) {
	rec := func(i int) *auditRecord {
		// Distinct clients: nothing collapses.
		return &auditRecord{time: time.Now(), msg: "denied", route: "r", client: netip.AddrFrom4([4]byte{20, 0, byte(i >> 8), byte(i)}),
			peer: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(i)), reason: ReasonNoRoute}
	}
	tests := []struct {
		name      string
		records   int
		interval  time.Duration
		flush     bool // call flush instead of waiting for the timer
		minWrites int
	}{
		{name: "timer batches lines", records: 50, interval: 20 * time.Millisecond, minWrites: 1},
		{name: "flush writes at once", records: 3, interval: time.Second, flush: true, minWrites: 1},
		{name: "many lines, one flush", records: 2000, interval: time.Second, flush: true, minWrites: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &countingWriter{}
			a := newAuditWriter(w, tt.interval, prometheus.NewCounter(prometheus.CounterOpts{Name: "d"}), prometheus.NewCounter(prometheus.CounterOpts{Name: "c"}))
			for i := range tt.records {
				a.add(rec(i))
			}
			if tt.flush {
				if err := a.flush(); err != nil {
					t.Fatal(err)
				}
			} else {
				if _, ok := waitFor(2*time.Second, func() bool { _, l := w.snapshot(); return len(l) == tt.records }); !ok {
					t.Fatal("timer did not flush the lines")
				}
			}
			writes, lines := w.snapshot()
			if writes < 0 {
				t.Fatal("a write split a line")
			}
			if len(lines) != tt.records {
				t.Fatalf("%d lines written, want %d", len(lines), tt.records)
			}
			if writes < tt.minWrites || writes > tt.records {
				t.Errorf("%d writes for %d lines, want between %d and %d", writes, tt.records, tt.minWrites, tt.records)
			}
			for i, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("line %d %q: %v", i, l, err)
				}
			}
		})
	}
}

func TestAuditWriterError(t *testing.T) {
	w := &countingWriter{err: io.ErrShortWrite}
	a := newAuditWriter(w, time.Second, prometheus.NewCounter(prometheus.CounterOpts{Name: "d"}), prometheus.NewCounter(prometheus.CounterOpts{Name: "c"}))
	a.add(&auditRecord{time: time.Now(), msg: "denied"})
	if err := a.flush(); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("flush error = %v, want %v", err, io.ErrShortWrite)
	}
	w.err = nil
	if err := a.flush(); err != nil {
		t.Errorf("second flush error = %v, want nil (reported once)", err)
	}
}

func TestShutdownFlushesAudit(t *testing.T) {
	w := &countingWriter{}
	g, err := New(Config{Audit: w, AuditFlushInterval: MaxAuditFlushInterval})
	if err != nil {
		t.Fatal(err)
	}
	g.audit("denied", nil, ReasonNoRoute, netip.Addr{}, netip.MustParseAddrPort("127.0.0.1:1"), nil, "")
	if err := g.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, lines := w.snapshot(); len(lines) != 1 {
		t.Errorf("lines after Shutdown = %q, want one", lines)
	}
}

func TestAuditFlushIntervalBounds(t *testing.T) {
	for _, d := range []time.Duration{-1, MaxAuditFlushInterval + 1} {
		if _, err := New(Config{AuditFlushInterval: d}); err == nil || !strings.Contains(err.Error(), "audit flush interval") {
			t.Errorf("New with AuditFlushInterval %v: error %v, want one naming it", d, err)
		}
	}
}

func BenchmarkAuditLine(b *testing.B) {
	r := &auditRecord{time: time.Now(), msg: "denied", route: "prod", client: netip.MustParseAddr("8.8.8.8"),
		peer: netip.MustParseAddrPort("127.0.0.1:51234"), sni: []byte("api.prod.example.test"), reason: ReasonNotAuthorized, version: "1f0c90869eea"}
	b.Run("slog", func(b *testing.B) {
		b.ReportAllocs()
		g, _ := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		for b.Loop() {
			g.audit(r.msg, nil, r.reason, r.client, r.peer, r.sni, r.version)
		}
	})
	b.Run("buffered", func(b *testing.B) {
		b.ReportAllocs()
		g, _ := New(Config{Audit: io.Discard})
		for b.Loop() {
			g.audit(r.msg, nil, r.reason, r.client, r.peer, r.sni, r.version)
		}
	})
}
