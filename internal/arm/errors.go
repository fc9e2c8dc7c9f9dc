package arm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/store"
)

// Error is an ARM error: an HTTP status plus the body's code, message,
// target and details. It implements error.
type Error struct {
	Status  int      `json:"-"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Target  string   `json:"target,omitempty"`
	Details []*Error `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Envelope is the ARM error body.
type Envelope struct {
	Error *Error `json:"error"`
}

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Common errors.
var (
	// ErrMissingToken is returned when a request has no bearer token.
	ErrMissingToken = &Error{Status: http.StatusUnauthorized, Code: "AuthenticationFailed",
		Message: "Authentication failed. The 'Authorization' header is missing."}
	// ErrInvalidToken is returned when a bearer token is not accepted.
	ErrInvalidToken = &Error{Status: http.StatusUnauthorized, Code: "InvalidAuthenticationToken",
		Message: "The access token is invalid."}
)

// ResourceNotFound is the 404 for a missing resource of type typ
// ("Microsoft.ContainerService/managedClusters") in group rg.
func ResourceNotFound(typ, name, rg string) *Error {
	return Errorf(http.StatusNotFound, "ResourceNotFound",
		"The Resource '%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", typ, name, rg)
}

// ResourceGroupNotFound is the 404 for a missing resource group.
func ResourceGroupNotFound(rg string) *Error {
	return Errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '%s' could not be found.", rg)
}

// InvalidRequestContent is the 400 for a body that does not decode.
func InvalidRequestContent(err error) *Error {
	return Errorf(http.StatusBadRequest, "InvalidRequestContent",
		"The request content was invalid and could not be deserialized: '%v'.", err)
}

// WriteError writes err as an ARM error response. It is the single place
// where Go errors become HTTP statuses and ARM codes. Unknown errors become a
// 500 with a generic message and are logged in full.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ae := Translate(err)
	if ae.Status == http.StatusInternalServerError && log != nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	WriteJSON(w, ae.Status, Envelope{Error: ae})
}

// Translate maps err to an *Error (see WriteError).
func Translate(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if rs := rangeErrors(err); len(rs) > 0 {
		top := rangeError(rs[0])
		for _, re := range rs[1:] {
			top.Details = append(top.Details, rangeError(re))
		}
		return top
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Errorf(http.StatusNotFound, "NotFound", "The requested resource was not found.")
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		return Errorf(http.StatusConflict, "Conflict", "The resource was changed by another request; retry the operation.")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Errorf(http.StatusServiceUnavailable, "RequestCanceled", "The request was canceled or timed out.")
	}
	return Errorf(http.StatusInternalServerError, "InternalServerError",
		"The server encountered an internal error. Please retry the request.")
}

func rangeError(re *rangespec.Error) *Error {
	code := re.Code
	if code == "" {
		code = "InvalidParameter"
	}
	target := "properties.apiServerAccessProfile.authorizedIPRanges"
	if re.Index >= 0 {
		target += fmt.Sprintf("[%d]", re.Index)
	}
	return &Error{Status: http.StatusBadRequest, Code: code, Message: re.Message, Target: target}
}

// rangeErrors collects every *rangespec.Error in err's tree, in order.
func rangeErrors(err error) []*rangespec.Error {
	var out []*rangespec.Error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if re, ok := e.(*rangespec.Error); ok {
			out = append(out, re)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// QuotaExceeded is the 409 for a create that would take a subscription
// past a limit: what is counted, the limit, and the serve flag that
// raises it.
func QuotaExceeded(sub, what string, count, limit int, flag string) *Error {
	return Errorf(http.StatusConflict, "QuotaExceeded",
		"Operation could not be completed as it results in exceeding the quota: subscription '%s' has %d %s and the limit is %d. "+
			"Delete unused ones, or ask the operator to raise the limit (serve flag %s).", sub, count, what, limit, flag)
}

// InvalidField is a 400 for the body field or path segment target (for
// example "properties.dnsPrefix") whose value breaks rule; the value is
// repeated through Printable.
func InvalidField(code, target, value, rule string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Target: target,
		Message: fmt.Sprintf("The value '%s' of '%s' is invalid: %s", Printable(value), target, rule)}
}
