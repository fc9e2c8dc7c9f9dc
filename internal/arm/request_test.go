package arm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckContentType(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           int // 0: accepted
	}{
		{name: "json", ct: "application/json", body: "{}"},
		{name: "az / SDK with charset", ct: "application/json; charset=utf-8", body: "{}"},
		{name: "upper case", ct: "Application/JSON; Charset=UTF-8", body: "{}"},
		{name: "merge patch", ct: "application/merge-patch+json", body: "{}"},
		{name: "no body, any type", ct: "text/plain", body: ""},
		{name: "no body, no type", ct: "", body: ""},
		{name: "text", ct: "text/plain", body: "{}", want: 415},
		{name: "form", ct: "application/x-www-form-urlencoded", body: "a=b", want: 415},
		{name: "xml", ct: "application/xml", body: "<a/>", want: 415},
		{name: "missing", ct: "", body: "{}", want: 415},
		{name: "latin1", ct: "application/json; charset=iso-8859-1", body: "{}", want: 415},
		{name: "unparsable", ct: "application/json; ;;=", body: "{}", want: 415},
		{name: "json prefix trick", ct: "application/jsonx", body: "{}", want: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			err := CheckContentType(r)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ae := Translate(err)
			if err == nil || ae.Status != tt.want || ae.Code != "UnsupportedMediaType" {
				t.Fatalf("got %v, want %d UnsupportedMediaType", err, tt.want)
			}
		})
	}
}

// TestCheckContentTypeUnknownLength: a chunked body is judged by its
// first byte, and what was peeked is still read by the handler.
func TestCheckContentTypeUnknownLength(t *testing.T) {
	empty := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(""))
	empty.ContentLength = -1
	if err := CheckContentType(empty); err != nil {
		t.Fatalf("empty chunked body without Content-Type refused: %v", err)
	}
	text := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("{}"))
	text.ContentLength = -1
	text.Header.Set("Content-Type", "text/plain")
	if err := CheckContentType(text); err == nil {
		t.Fatal("chunked text body accepted")
	}
	js := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(`{"a":1}`))
	js.ContentLength = -1
	js.Header.Set("Content-Type", "application/json")
	if err := CheckContentType(js); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := ReadJSON(js, &v, false); err != nil || v["a"] != 1.0 {
		t.Fatalf("body after the peek: %v %v", v, err)
	}
}

func TestCheckHeaders(t *testing.T) {
	tests := []struct {
		name, header, value string
		ok                  bool
	}{
		{name: "request id", header: "x-ms-client-request-id", value: "0f8fad5b-d9cb-469f-a165-70867728950e", ok: true},
		{name: "command name", header: "CommandName", value: "aks create", ok: true},
		{name: "unchecked header", header: "User-Agent", value: "caf\xc3\xa9", ok: true},
		{name: "utf-8 in x-ms", header: "x-ms-client-request-id", value: "caf\xc3\xa9", ok: false},
		{name: "invalid utf-8", header: "x-ms-correlation-request-id", value: "\xff\xfe", ok: false},
		{name: "del", header: "If-Match", value: "\"1\"\x7f", ok: false},
		{name: "oversized", header: "x-ms-foo", value: strings.Repeat("a", 9000), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(tt.header, tt.value)
			err := CheckHeaders(h)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckHeaders = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if ae := Translate(err); ae.Status != 400 || ae.Code != "InvalidHeaderValue" || !strings.Contains(ae.Message, http.CanonicalHeaderKey(tt.header)) {
					t.Fatalf("got %d %s %q", ae.Status, ae.Code, ae.Message)
				}
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "eastus", want: "eastus"},
		{in: "a\x00b", want: `a\u0000b`},
		{in: "a\nb", want: `a\u000ab`},
		{in: "east\u202eus", want: `east\u202eus`},
		{in: `"><script>`, want: `\"><script>`},
		{in: "\xff", want: `\xff`},
		{in: "ü😀", want: "ü😀"},
		{in: strings.Repeat("a", 4000), want: strings.Repeat("a", 100) + "… (4000 bytes in all)"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadJSONRefusesNonObjects(t *testing.T) {
	for _, body := range []string{"null", " null", "[]", `"x"`, "1", "true", "{} x"} {
		var v map[string]any
		r := httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(body))
		err := ReadJSON(r, &v, false)
		if ae := Translate(err); err == nil || ae.Status != 400 || ae.Code != "InvalidRequestContent" {
			t.Errorf("body %q: got %v, want 400 InvalidRequestContent", body, err)
		}
	}
	var v map[string]any
	if err := ReadJSON(httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(" {\"a\":1}")), &v, false); err != nil || v["a"] != 1.0 {
		t.Fatalf("object refused: %v %v", err, v)
	}
}

// FuzzPrintable checks that Printable's output is valid UTF-8 without
// control or format runes and is bounded, whatever the input.
func FuzzPrintable(f *testing.F) {
	f.Add("eastus")           // plain
	f.Add("east\u202eus")     // bidi override
	f.Add("a\x00\n\r\t\x7fb") // control bytes
	f.Add("\xff\xfe\xc3")     // invalid UTF-8
	f.Add(`"><script>'\`)     // quotes and markup
	f.Add("\U0001F600\uFFFD") // emoji and a real replacement char
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Printable(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Printable(%q) = %q: keeps %U", s, out, r)
			}
		}
		if utf8.RuneCountInString(out) > 10*maxQuoted+40 {
			t.Fatalf("Printable(%q): %d runes", s, utf8.RuneCountInString(out))
		}
	})
}
