package arm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxHeaderValue bounds one x-ms-* header value CheckHeaders accepts.
const maxHeaderValue = 8 << 10

// CheckContentType returns a 415 UnsupportedMediaType unless a request
// that carries a body (Content-Length not 0, or chunked) declares JSON:
// "application/json" or "application/<x>+json", any case, with optional
// parameters of which only charset=utf-8 is allowed (RFC 8259: JSON is
// UTF-8). A body without a Content-Type is refused too. Requests without a
// body pass whatever they declare: az sends "application/json" on bodyless
// POSTs and nothing at all on others. A body of unknown length (chunked,
// or HTTP/2 without Content-Length) is peeked for its first byte, so an
// empty one counts as no body; r.Body is then replaced by an equivalent
// reader.
func CheckContentType(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength < 0 {
		br := bufio.NewReaderSize(r.Body, 16)
		_, err := br.Peek(1)
		r.Body = struct {
			io.Reader
			io.Closer
		}{br, r.Body}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return Errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			"The request has a body but no Content-Type header. Only 'application/json' is supported.")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && isJSONMediaType(mt) {
		cs, hasCharset := params["charset"]
		if !hasCharset || strings.EqualFold(cs, "utf-8") {
			return nil
		}
		return Errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			"The content charset '%s' is not supported. Only 'application/json' with charset 'utf-8' is supported.", Printable(cs))
	}
	return Errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
		"The content media type '%s' is not supported. Only 'application/json' is supported.", Printable(ct))
}

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// CheckHeaders returns a 400 InvalidHeaderValue when a header the server
// reads or echoes carries bytes it cannot represent safely: every x-ms-*
// header, CommandName and ParameterSetName (az), If-Match and
// If-None-Match must be printable ASCII (0x20–0x7E, and tab) of at most
// 8 KiB. net/http has already refused CR, LF and NUL; this catches what it
// lets through (other control bytes are refused there too, so in practice
// it is bytes ≥ 0x80, DEL and oversized values).
func CheckHeaders(h http.Header) error {
	for name, vals := range h {
		if !checkedHeader(name) {
			continue
		}
		for _, v := range vals {
			if len(v) > maxHeaderValue {
				return Errorf(http.StatusBadRequest, "InvalidHeaderValue",
					"The value of the request header '%s' is invalid: it is %d bytes, more than the allowed %d.", name, len(v), maxHeaderValue)
			}
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < 0x20 && c != '\t') || c > 0x7e {
					return Errorf(http.StatusBadRequest, "InvalidHeaderValue",
						"The value of the request header '%s' is invalid: byte 0x%02x at offset %d; header values must be printable ASCII.", name, c, i)
				}
			}
		}
	}
	return nil
}

func checkedHeader(canonical string) bool {
	switch canonical {
	case "Commandname", "Parametersetname", "If-Match", "If-None-Match":
		return true
	}
	return strings.HasPrefix(canonical, "X-Ms-")
}

// maxQuoted bounds how much of a client-supplied string a message repeats.
const maxQuoted = 100

// Printable returns s safe to repeat in an error message: invalid UTF-8,
// control, format (bidi overrides such as U+202E) and other non-graphic
// runes are escaped Go-style, quotes are escaped, and the result is clipped
// to about 100 characters with a note of the full length.
func Printable(s string) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n >= maxQuoted {
			fmt.Fprintf(&b, "… (%d bytes in all)", len(s))
			break
		}
		n++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\'' || r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r):
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
