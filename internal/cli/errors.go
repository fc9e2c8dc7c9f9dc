package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ExitError is the one exit-error type of the tagwall binary. The az-shaped
// commands return it after printing their error the way az does (Err nil);
// the binary's other commands return it with Err set, and the binary
// prints Err once. Code is the process exit status (1 error, 2 usage,
// 3 resource not found).
type ExitError struct {
	Code int
	Err  error // not yet printed; nil when the command printed its own error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// cliError is an error az raises client-side (CLIError and the AzCLIError
// family): printed as "ERROR: msg".
type cliError struct {
	code int // exit status; 0 means 1
	msg  string
	err  error // cause, shown with --debug
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// usage is an argparse-style error: exit status 2.
func usage(format string, a ...any) error {
	return &cliError{code: 2, msg: fmt.Sprintf(format, a...)}
}

// userError is a client-side error with exit status 1.
func userError(format string, a ...any) error {
	return &cliError{code: 1, msg: fmt.Sprintf(format, a...)}
}

// ARMError is an error answer from the ARM API, in either shape ARM uses:
// {"error":{"code","message"}} or a top-level {"code","message"}.
type ARMError struct {
	Status  int
	Code    string
	Message string
}

func (e *ARMError) Error() string {
	return fmt.Sprintf("(%s) %s\nCode: %s\nMessage: %s", e.Code, e.Message, e.Code, e.Message)
}

// NotFound reports whether az maps the error to exit status 3.
func (e *ARMError) NotFound() bool {
	return e.Status == http.StatusNotFound || e.Code == "ResourceNotFound" || e.Code == "ResourceGroupNotFound"
}

// parseARMError reads an error body; a body of neither shape becomes the
// HTTP reason with the raw text.
func parseARMError(status int, body []byte) *ARMError {
	e := &ARMError{Status: status}
	if v, err := decodeJSON(body); err == nil {
		if m, ok := v.(map[string]any); ok {
			if inner, ok := m["error"].(map[string]any); ok {
				m = inner
			}
			e.Code, _ = m["code"].(string)
			e.Message, _ = m["message"].(string)
		}
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(status), " ", "")
		if e.Code == "" {
			e.Code = fmt.Sprintf("HTTP%d", status)
		}
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(body))
		}
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("Operation returned an invalid status '%d'", status)
	}
	return e
}

// reportError prints err as az does and returns its exit status.
func reportError(w io.Writer, err error, debug bool) int {
	var ae *ARMError
	var ce *cliError
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ae):
		fmt.Fprintf(w, "ERROR: %s\n", ae.Error())
		if ae.NotFound() {
			return 3
		}
		return 1
	case errors.As(err, &ce):
		fmt.Fprintf(w, "ERROR: %s\n", ce.msg)
		if debug && ce.err != nil {
			fmt.Fprintf(w, "DEBUG: cause: %v\n", ce.err)
		}
		if ce.code == 0 {
			return 1
		}
		return ce.code
	}
	fmt.Fprintf(w, "ERROR: %s\n", err)
	return 1
}
