package gateway

import (
	"bufio"
	"errors"
)

// TLS record and handshake constants (RFC 8446 section 5.1, RFC 6066 section 3).
const (
	recordHeaderLen     = 5
	recordTypeHandshake = 0x16
	maxRecordPayload    = 1 << 14 // TLSPlaintext.length limit
	handshakeHeaderLen  = 4
	typeClientHello     = 1
	extServerName       = 0
	sniHostName         = 0
	maxServerNameLen    = 255
	// MaxClientHelloBytes caps what the gateway reads before deciding: one
	// full-size record and its header. A ClientHello split over several
	// records is supported as long as all of its records fit in the cap.
	MaxClientHelloBytes = maxRecordPayload + recordHeaderLen
)

// errBadClientHello is returned for bytes that are not a TLS ClientHello
// (or one larger than MaxClientHelloBytes).
var errBadClientHello = errors.New("not a tls clienthello")

// errNeedMore tells the record scanner that the buffered bytes end inside a
// record; it is never returned to callers.
var errNeedMore = errors.New("need more bytes")

// helloScratch holds a ClientHello reassembled from several records. It
// lives in the pooled per-connection state so reassembly does not allocate.
type helloScratch struct {
	buf  [MaxClientHelloBytes]byte
	seen [1024]uint64 // extension types seen, for long extension blocks
}

// readClientHello reads TLS records from br, without consuming them, until
// one whole ClientHello handshake message is buffered, and returns its
// server name (nil when the client sent none; the slice aliases br's or
// scratch's memory) and n, the number of record bytes the message spans.
// It never peeks past MaxClientHelloBytes.
func readClientHello(br *bufio.Reader, scratch *helloScratch) (sni []byte, n int, err error) {
	want := recordHeaderLen
	for {
		if want > MaxClientHelloBytes {
			return nil, 0, errBadClientHello
		}
		buf, perr := br.Peek(want)
		if perr != nil {
			return nil, 0, perr
		}
		msg, end, need, serr := scanHelloRecords(buf, scratch)
		switch {
		case serr == nil:
			sni, perr := parseClientHelloSNI(msg, scratch)
			if perr != nil {
				return nil, 0, perr
			}
			return sni, end, nil
		case errors.Is(serr, errNeedMore):
			want = need
		default:
			return nil, 0, serr
		}
	}
}

// scanHelloRecords walks the handshake records in buf. When they hold a
// complete ClientHello message it returns the message (handshake header
// included) and the offset where its last record ends. When buf ends early
// it returns errNeedMore and the total length to peek next. Records are
// checked as crypto/tls checks the first flight: type handshake, a record
// version below 0x1000 and a non-empty payload of at most 2^14 bytes.
func scanHelloRecords(buf []byte, scratch *helloScratch) (msg []byte, end, need int, err error) {
	off, got, msgLen := 0, 0, -1
	var first []byte // payload of the first record, when the message fits in it
	for {
		if len(buf)-off < recordHeaderLen {
			return nil, 0, off + recordHeaderLen, errNeedMore
		}
		h := buf[off : off+recordHeaderLen]
		if h[0] != recordTypeHandshake || h[1] >= 0x10 { // crypto/tls: vers < 0x1000
			return nil, 0, 0, errBadClientHello
		}
		plen := int(h[3])<<8 | int(h[4])
		if plen == 0 || plen > maxRecordPayload {
			return nil, 0, 0, errBadClientHello
		}
		recEnd := off + recordHeaderLen + plen
		if recEnd > MaxClientHelloBytes {
			return nil, 0, 0, errBadClientHello
		}
		if len(buf) < recEnd {
			return nil, 0, recEnd, errNeedMore
		}
		payload := buf[off+recordHeaderLen : recEnd]
		if off == 0 {
			first = payload
		} else {
			if got == len(first) { // leaving the zero-copy path
				copy(scratch.buf[:], first)
			}
			first = nil
		}
		if first == nil {
			copy(scratch.buf[got:], payload)
		}
		got += plen
		off = recEnd
		if msgLen < 0 && got >= handshakeHeaderLen {
			hdr := scratch.buf[:handshakeHeaderLen]
			if first != nil {
				hdr = first[:handshakeHeaderLen]
			}
			if hdr[0] != typeClientHello {
				return nil, 0, 0, errBadClientHello
			}
			msgLen = handshakeHeaderLen + (int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3]))
			if msgLen > MaxClientHelloBytes {
				return nil, 0, 0, errBadClientHello
			}
		}
		if msgLen >= 0 && got >= msgLen {
			if first != nil {
				return first[:msgLen], off, 0, nil
			}
			return scratch.buf[:msgLen], off, 0, nil
		}
	}
}

// parseClientHelloSNI returns the host_name of msg's server_name extension,
// or nil when there is none. msg is a whole handshake message, header
// included. It applies crypto/tls's structural rules (lengths consumed
// exactly, no duplicate extension, one host_name without a trailing dot) so
// that every ClientHello crypto/tls accepts yields the name crypto/tls sees.
func parseClientHelloSNI(msg []byte, scratch *helloScratch) ([]byte, error) {
	s := msg[handshakeHeaderLen:]
	// legacy_version, random
	if len(s) < 2+32 {
		return nil, errBadClientHello
	}
	s = s[34:]
	var ok bool
	if _, s, ok = cut8(s); !ok { // session id
		return nil, errBadClientHello
	}
	var suites []byte
	if suites, s, ok = cut16(s); !ok || len(suites)%2 != 0 {
		return nil, errBadClientHello
	}
	if _, s, ok = cut8(s); !ok { // compression methods
		return nil, errBadClientHello
	}
	if len(s) == 0 {
		return nil, nil // no extensions
	}
	exts, rest, ok := cut16(s)
	if !ok || len(rest) != 0 {
		return nil, errBadClientHello
	}
	return findServerName(exts, scratch)
}

// findServerName scans the extensions block for server_name. Duplicate
// extensions are refused as crypto/tls refuses them: the first 32 types are
// kept inline, and a longer block switches to the scratch bitmap.
func findServerName(exts []byte, scratch *helloScratch) ([]byte, error) {
	var sni []byte
	var seen [32]uint16
	nseen := 0
	for len(exts) > 0 {
		if len(exts) < 2 {
			return nil, errBadClientHello
		}
		typ := uint16(exts[0])<<8 | uint16(exts[1])
		data, rest, ok := cut16(exts[2:])
		if !ok {
			return nil, errBadClientHello
		}
		if nseen < len(seen) {
			for _, t := range seen[:nseen] {
				if t == typ {
					return nil, errBadClientHello
				}
			}
			seen[nseen] = typ
			if nseen++; nseen == len(seen) {
				scratch.seen = [1024]uint64{}
				for _, t := range seen {
					scratch.seen[t>>6] |= 1 << (t & 63)
				}
			}
		} else {
			if scratch.seen[typ>>6]&(1<<(typ&63)) != 0 {
				return nil, errBadClientHello
			}
			scratch.seen[typ>>6] |= 1 << (typ & 63)
		}
		exts = rest
		if typ != extServerName {
			continue
		}
		name, err := parseServerNameExt(data)
		if err != nil {
			return nil, err
		}
		sni = name
	}
	return sni, nil
}

// parseServerNameExt parses a server_name extension body (RFC 6066 3).
func parseServerNameExt(data []byte) ([]byte, error) {
	list, rest, ok := cut16(data)
	if !ok || len(rest) != 0 || len(list) == 0 {
		return nil, errBadClientHello
	}
	var sni []byte
	for len(list) > 0 {
		nameType := list[0]
		name, r, ok := cut16(list[1:])
		if !ok || len(name) == 0 {
			return nil, errBadClientHello
		}
		list = r
		if nameType != sniHostName {
			continue
		}
		if sni != nil || name[len(name)-1] == '.' {
			return nil, errBadClientHello
		}
		sni = name
	}
	return sni, nil
}

// cut8 splits a uint8-length-prefixed vector off s.
func cut8(s []byte) (v, rest []byte, ok bool) {
	if len(s) < 1 || len(s)-1 < int(s[0]) {
		return nil, nil, false
	}
	n := int(s[0])
	return s[1 : 1+n], s[1+n:], true
}

// cut16 splits a uint16-length-prefixed vector off s.
func cut16(s []byte) (v, rest []byte, ok bool) {
	if len(s) < 2 {
		return nil, nil, false
	}
	n := int(s[0])<<8 | int(s[1])
	if len(s)-2 < n {
		return nil, nil, false
	}
	return s[2 : 2+n], s[2+n:], true
}
