package gateway

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Audit buffering defaults and bounds (Config.Audit).
const (
	DefaultAuditFlushInterval = 100 * time.Millisecond
	// MaxAuditFlushInterval caps Config.AuditFlushInterval.
	MaxAuditFlushInterval = time.Second
	// MaxAuditPending is the audit bytes that may wait for the sink. A
	// line that would go past it is dropped and counted in
	// tagwall_audit_dropped_total: a connection never waits for the sink.
	MaxAuditPending = 1 << 20
	// MaxAuditSNI is how many bytes of the client's server name an audit
	// line carries; the rest is cut (the SNI is the only client-supplied
	// text in a line; addresses are parsed values).
	MaxAuditSNI = 256
	// AuditCollapseWindow is the window in which repeated denials of one
	// client, route and reason collapse into one line with a count.
	AuditCollapseWindow = time.Second
	// maxAuditKeys bounds the clients tracked for collapsing; denials of
	// further clients are written one line each (still bounded by
	// MaxAuditPending).
	maxAuditKeys = 4096
	// auditFlushWait bounds how long FlushAudit waits for the sink.
	auditFlushWait = time.Second
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
	count   int // denials this line stands for; 0 is written as 1
}

// appendAuditLine appends r as one JSON line in exactly the shape
// slog.NewJSONHandler gives the same record at level INFO: time (RFC 3339
// with nanoseconds), level, msg, route, client, clientPrefix (only on a
// collapsed IPv6 line), peer, sni (cut to MaxAuditSNI bytes), reason,
// version, count. It does not allocate when b
// has room.
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
	if r.count > 0 && r.client.Is6() {
		b = append(b, `","clientPrefix":"`...)
		b = netip.PrefixFrom(r.client, 64).Masked().AppendTo(b)
	}
	b = append(b, `","peer":"`...)
	if r.peer.Addr().IsValid() {
		b = r.peer.AppendTo(b)
	} else {
		b = append(b, "invalid AddrPort"...) // as netip.AddrPort.String
	}
	b = append(b, `","sni":"`...)
	sni := r.sni
	if len(sni) > MaxAuditSNI {
		sni = sni[:MaxAuditSNI]
	}
	b = appendJSONString(b, sni)
	b = append(b, `","reason":"`...)
	b = appendJSONString(b, r.reason)
	b = append(b, `","version":"`...)
	b = appendJSONString(b, r.version)
	b = append(b, `","count":`...)
	b = strconv.AppendInt(b, int64(max(r.count, 1)), 10)
	return append(b, "}\n"...)
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
