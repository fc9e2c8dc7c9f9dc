package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type stringsReader struct{ *strings.Reader }

func newReader(s string) *stringsReader { return &stringsReader{strings.NewReader(s)} }

func (r *stringsReader) orNil() io.Reader {
	if r == nil {
		return nil
	}
	return r
}

// readJSON decodes a response body into a generic map.
func readJSON(tb testing.TB, resp *http.Response) map[string]any {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("decode %s: %v", b, err)
		}
	}
	return m
}

// armError returns the code and message of an ARM error body.
func armError(tb testing.TB, resp *http.Response) (code, msg string) {
	tb.Helper()
	m := readJSON(tb, resp)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		tb.Fatalf("no ARM error envelope in %v", m)
	}
	code, _ = e["code"].(string)
	msg, _ = e["message"].(string)
	return code, msg
}
