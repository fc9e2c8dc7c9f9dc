package arm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MaxBodyBytes bounds a request body ReadJSON accepts.
const MaxBodyBytes = 4 << 20

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"InternalServerError","message":"The server encountered an internal error. Please retry the request."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ReadJSON decodes the request body into v. An empty body leaves v alone
// when allowEmpty is set. Any other body must be one JSON object: null, an
// array, a string or a number is refused, never read as "nothing set".
// Errors are *Error (400 InvalidRequestContent).
func ReadJSON(r *http.Request, v any, allowEmpty bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return InvalidRequestContent(err)
	}
	if len(body) > MaxBodyBytes {
		return InvalidRequestContent(errors.New("body too large"))
	}
	if len(body) == 0 {
		if allowEmpty {
			return nil
		}
		return InvalidRequestContent(errors.New("empty body"))
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return InvalidRequestContent(errors.New("the request body must be a JSON object"))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return InvalidRequestContent(err)
	}
	return nil
}
