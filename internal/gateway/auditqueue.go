package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrAuditStalled is returned by FlushAudit and Shutdown when the audit
// sink did not take the pending lines in time; they are abandoned, never
// waited for past the bound.
var ErrAuditStalled = errors.New("audit sink stalled")

// auditKey identifies the denials that collapse into one line.
type auditKey struct {
	client netip.Addr
	route  string
	reason string
}

// auditAgg is one collapse window: the first denial of the key was written
// as a line of its own; the count repeats that followed within the window
// wait here, as the last of them, for the window's end.
type auditAgg struct {
	start  time.Time
	window time.Duration // AuditCollapseWindow, or ShadowAuditWindow
	count  int
	last   auditRecord
	// sni holds last.sni: a denial after the PROXY header has none, so it
	// grows only to the longest name seen (at most MaxAuditSNI) and is
	// kept when the aggregate is reused. (An inline MaxAuditSNI array made
	// every one of the maxAuditKeys aggregates 480 bytes, about 2 MB under
	// a flood from many addresses; now they are 240.)
	sni []byte
}

// auditWriter is the bounded, non-blocking audit queue for one io.Writer.
// add never waits for the sink: it encodes into a buffer of at most
// MaxAuditPending bytes, or drops the line and counts it. One goroutine
// (run) writes the buffer at most interval after a line enters it and
// writes the collapsed lines when their window ends. A sink that blocks
// forever holds that goroutine and at most 2×MaxAuditPending bytes; the
// gateway and its Shutdown do not wait for it past their bounds. Lines are
// never split across writes.
type auditWriter struct {
	w         io.Writer
	interval  time.Duration
	dropped   prometheus.Counter
	collapsed prometheus.Counter

	mu     sync.Mutex // guards everything below
	buf    []byte
	spare  []byte
	recent map[auditKey]*auditAgg
	free   []*auditAgg
	err    error // the last write error, reported by flush

	kick     chan struct{}   // cap 1: a line is waiting
	flushReq chan chan error // FlushAudit's requests
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{} // closed when run returns
}

func newAuditWriter(w io.Writer, interval time.Duration, dropped, collapsed prometheus.Counter) *auditWriter {
	a := &auditWriter{
		w: w, interval: interval, dropped: dropped, collapsed: collapsed,
		buf:      make([]byte, 0, 64<<10),
		spare:    make([]byte, 0, 64<<10),
		recent:   make(map[auditKey]*auditAgg),
		kick:     make(chan struct{}, 1),
		flushReq: make(chan chan error),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go a.run()
	return a
}

// add queues one record without waiting. Denials ("denied") of a key seen
// less than AuditCollapseWindow ago only count; the window's end writes
// one line with their count.
func (a *auditWriter) add(r *auditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if window := collapseWindow(r.msg); window > 0 {
		k := auditKeyOf(r)
		if agg := a.recent[k]; agg != nil {
			if r.time.Sub(agg.start) < agg.window {
				agg.count++
				agg.last = *r
				agg.sni = append(agg.sni[:0], r.sni[:min(len(r.sni), MaxAuditSNI)]...)
				agg.last.sni = agg.sni
				a.collapsed.Inc()
				return
			}
			a.emitLocked(agg)
			agg.start = r.time
		} else if len(a.recent) < maxAuditKeys {
			agg := a.newAgg()
			agg.start, agg.window = r.time, window
			a.recent[k] = agg
		}
	}
	a.appendLocked(r)
}

// auditKeyOf is r's collapse key: its client, route and reason, with an
// IPv6 client's address taken to its /64: one host holds a whole /64 and
// may send from a new address of it each time, which would otherwise make
// every denial a key and a line of its own. (The collapsed line names the
// /64: appendAuditLine.)
func auditKeyOf(r *auditRecord) auditKey {
	k := auditKey{client: r.client, route: r.route, reason: r.reason}
	if r.client.Is6() {
		k.client = netip.PrefixFrom(r.client, 64).Masked().Addr()
	}
	return k
}

// collapseWindow is the collapse window of an audit msg: denials collapse
// over AuditCollapseWindow, shadow disagreements over ShadowAuditWindow,
// other lines never (0).
func collapseWindow(msg string) time.Duration {
	switch msg {
	case DecisionDenied:
		return AuditCollapseWindow
	case msgShadow:
		return ShadowAuditWindow
	}
	return 0
}

// appendLocked encodes r into the buffer, or drops it when the buffer is
// full. a.mu is held.
func (a *auditWriter) appendLocked(r *auditRecord) {
	if len(a.buf) >= MaxAuditPending-2*MaxAuditSNI-512 {
		a.dropped.Inc()
		return
	}
	a.buf = appendAuditLine(a.buf, r)
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// emitLocked writes agg's pending repeats as one line and empties it.
func (a *auditWriter) emitLocked(agg *auditAgg) {
	if agg.count == 0 {
		return
	}
	agg.last.count = agg.count
	a.appendLocked(&agg.last)
	agg.count = 0
}

func (a *auditWriter) newAgg() *auditAgg {
	if n := len(a.free); n > 0 {
		agg := a.free[n-1]
		a.free = a.free[:n-1]
		return agg
	}
	return new(auditAgg)
}

// sweepLocked writes the repeats of every window that has ended by now
// (all of them when final) and forgets keys whose window passed without
// repeats. It reports whether windows remain open.
func (a *auditWriter) sweepLocked(now time.Time, final bool) bool {
	for k, agg := range a.recent {
		if !final && now.Sub(agg.start) < agg.window {
			continue
		}
		if agg.count > 0 && !final {
			a.emitLocked(agg) // and keep collapsing: a new window starts
			agg.start = now
			continue
		}
		a.emitLocked(agg)
		delete(a.recent, k)
		agg.last = auditRecord{}
		a.free = append(a.free, agg)
	}
	return len(a.recent) > 0
}

// run is the writer goroutine; it returns after stop, once the final lines
// are written (or never, if the sink never returns: then nothing waits
// for it).
func (a *auditWriter) run() {
	defer close(a.done)
	for {
		select {
		case <-a.kick:
		case req := <-a.flushReq:
			req <- a.writeOut(true)
			continue
		case <-a.stop:
			a.writeOut(true)
			return
		}
		t := time.NewTimer(a.interval)
		select {
		case <-t.C:
			a.writeOut(false)
		case req := <-a.flushReq:
			t.Stop()
			req <- a.writeOut(true)
		case <-a.stop:
			t.Stop()
			a.writeOut(true)
			return
		}
	}
}

// writeOut writes the queued lines (after a sweep of the collapse windows)
// and returns the first write error since the last report. It re-kicks
// itself while windows stay open, so they are swept.
func (a *auditWriter) writeOut(final bool) error {
	a.mu.Lock()
	open := a.sweepLocked(time.Now(), final)
	out := a.buf
	a.buf, a.spare = a.spare[:0], nil
	a.mu.Unlock()
	var err error
	if len(out) > 0 {
		if _, err = a.w.Write(out); err != nil {
			err = fmt.Errorf("write audit lines: %w", err)
		}
	}
	a.mu.Lock()
	if cap(out) > 2*MaxAuditPending {
		out = make([]byte, 0, 64<<10)
	}
	a.spare = out[:0]
	if err != nil {
		a.err = err
	}
	err, a.err = a.err, nil
	a.mu.Unlock()
	if open {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
	return err
}

// flush asks the writer goroutine to write everything queued, including
// open collapse windows, and waits at most auditFlushWait for it.
func (a *auditWriter) flush() error {
	ctx, cancel := context.WithTimeout(context.Background(), auditFlushWait)
	defer cancel()
	return a.flushCtx(ctx)
}

func (a *auditWriter) flushCtx(ctx context.Context) error {
	req := make(chan error, 1)
	select {
	case a.flushReq <- req:
	case <-a.done:
		return a.takeErr()
	case <-ctx.Done():
		return fmt.Errorf("flush audit lines: %w", ErrAuditStalled)
	}
	select {
	case err := <-req:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flush audit lines: %w", ErrAuditStalled)
	}
}

// close writes the final lines and stops the writer goroutine, waiting no
// longer than ctx. Lines added afterwards stay queued and are never
// written.
func (a *auditWriter) close(ctx context.Context) error {
	a.stopOnce.Do(func() { close(a.stop) })
	select {
	case <-a.done:
		return a.takeErr()
	case <-ctx.Done():
		return fmt.Errorf("close audit writer: %w: pending lines abandoned", ErrAuditStalled)
	}
}

func (a *auditWriter) takeErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.err
	a.err = nil
	return err
}
