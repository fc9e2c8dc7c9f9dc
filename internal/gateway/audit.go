package gateway

import (
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
	"unicode/utf8"
)

// Audit buffering defaults and bounds (Config.Audit).
const (
	DefaultAuditFlushInterval = 100 * time.Millisecond
	// MaxAuditFlushInterval caps Config.AuditFlushInterval.
	MaxAuditFlushInterval = time.Second
	// auditBufSize is the pending audit bytes above which a record is
	// written synchronously by the connection that adds it: the buffer is
	// bounded and a full buffer blocks, it never drops.
	auditBufSize = 64 << 10
)

// auditRecord is one audit line's content.
type auditRecord struct {
	time    time.Time
	msg     string // "denied", "allowed" or "revoked"
	route   string
	client  netip.Addr // zero: ""
	peer    netip.AddrPort
	sni     []byte
	reason  string
	version string
}

// appendAuditLine appends r as one JSON line in exactly the shape
// slog.NewJSONHandler gives the same record at level INFO: time (RFC 3339
// with nanoseconds), level, msg, route, client, peer, sni, reason, version.
// It does not allocate when b has room.
func appendAuditLine(b []byte, r *auditRecord) []byte {
	b = append(b, `{"time":"`...)
	b = r.time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"`...)
	b = appendJSONString(b, r.msg)
	b = append(b, `","route":"`...)
	b = appendJSONString(b, r.route)
	b = append(b, `","client":"`...)
	if r.client.IsValid() {
		b = r.client.AppendTo(b)
	}
	b = append(b, `","peer":"`...)
	if r.peer.Addr().IsValid() {
		b = r.peer.AppendTo(b)
	} else {
		b = append(b, "invalid AddrPort"...) // as netip.AddrPort.String
	}
	b = append(b, `","sni":"`...)
	b = appendJSONString(b, r.sni)
	b = append(b, `","reason":"`...)
	b = appendJSONString(b, r.reason)
	b = append(b, `","version":"`...)
	b = appendJSONString(b, r.version)
	return append(b, "\"}\n"...)
}

// appendJSONString appends s's JSON string contents (no quotes), escaped as
// slog's JSONHandler escapes them: control characters, '"' and '\\';
// invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		var p [utf8.UTFMax]byte
		r, size := utf8.DecodeRune(p[:copy(p[:], s[i:])])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// auditWriter buffers audit lines for one io.Writer. A line is written at
// most interval after it was added (a timer armed by the first line into an
// empty buffer), when the buffer is full (synchronously, by the caller that
// overflows it: callers block, nothing is dropped) and on flush. Lines are
// never split across writes.
type auditWriter struct {
	w        io.Writer
	interval time.Duration

	wmu   sync.Mutex // serialises writes to w, in buffer order
	mu    sync.Mutex // guards buf, spare, armed and err
	buf   []byte
	spare []byte
	armed bool
	err   error // the last write error, reported by flush
	timer *time.Timer
}

func newAuditWriter(w io.Writer, interval time.Duration) *auditWriter {
	a := &auditWriter{w: w, interval: interval, buf: make([]byte, 0, auditBufSize), spare: make([]byte, 0, auditBufSize)}
	a.timer = time.AfterFunc(time.Hour, func() { a.flush() })
	a.timer.Stop()
	return a
}

// add appends one record.
func (a *auditWriter) add(r *auditRecord) {
	a.mu.Lock()
	a.buf = appendAuditLine(a.buf, r)
	full := len(a.buf) >= auditBufSize
	if !full && !a.armed {
		a.armed = true
		a.timer.Reset(a.interval)
	}
	a.mu.Unlock()
	if full {
		a.flush()
	}
}

// flush writes every line added so far and returns the first write error
// since the previous flush that returned one.
func (a *auditWriter) flush() error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	out := a.buf
	a.buf, a.spare = a.spare[:0], nil
	a.armed = false
	a.mu.Unlock()
	var err error
	if len(out) > 0 {
		_, err = a.w.Write(out)
		if err != nil {
			err = fmt.Errorf("write audit lines: %w", err)
		}
	}
	a.mu.Lock()
	if cap(out) > 4*auditBufSize {
		out = make([]byte, 0, auditBufSize) // do not keep a burst's buffer
	}
	a.spare = out[:0]
	if err != nil {
		a.err = err
	}
	err, a.err = a.err, nil
	a.mu.Unlock()
	return err
}
