package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// defaultRetryAfter is the poll period when the server sends no
// Retry-After. az's SDK waits 30 s; tagwall's server always sends the
// header, so a short default only matters for other servers.
const defaultRetryAfter = 2 * time.Second

// poller follows ARM long-running operations.
type poller struct {
	c        *client
	sleep    func(time.Duration)
	progress io.Writer // nil: no progress display (stderr not a terminal)
}

// wait follows the operation that r started until it is terminal. It uses
// Azure-AsyncOperation when present, else Location; with neither the
// operation is already complete. A Failed or Canceled status becomes the
// operation's error.
func (p *poller) wait(ctx context.Context, r *response) error {
	if op := r.header.Get("Azure-AsyncOperation"); op != "" {
		return p.pollStatus(ctx, op, r.header)
	}
	if loc := r.header.Get("Location"); loc != "" && r.status == http.StatusAccepted {
		return p.pollLocation(ctx, loc, r.header)
	}
	return nil
}

func (p *poller) pollStatus(ctx context.Context, opURL string, h http.Header) error {
	defer p.done()
	for i := 0; ; i++ {
		p.tick(i)
		p.sleep(retryAfter(h))
		r, err := p.c.do(ctx, http.MethodGet, opURL, nil)
		if err != nil {
			return err
		}
		v, err := r.decode()
		if err != nil {
			return err
		}
		m, _ := v.(map[string]any)
		status, _ := m["status"].(string)
		switch strings.ToLower(status) {
		case "succeeded":
			return nil
		case "failed", "canceled", "cancelled":
			return operationError(m, status)
		}
		h = r.header
		if err := ctx.Err(); err != nil {
			return userError("wait for operation %s: %v", opURL, err)
		}
	}
}

func (p *poller) pollLocation(ctx context.Context, loc string, h http.Header) error {
	defer p.done()
	for i := 0; ; i++ {
		p.tick(i)
		p.sleep(retryAfter(h))
		r, err := p.c.do(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return err
		}
		if r.status != http.StatusAccepted {
			return nil
		}
		h = r.header
		if err := ctx.Err(); err != nil {
			return userError("wait for operation %s: %v", loc, err)
		}
	}
}

// operationError turns a terminal failed status body into an ARMError.
func operationError(m map[string]any, status string) error {
	e := &ARMError{Status: http.StatusOK, Code: status, Message: "The operation did not succeed"}
	if inner, ok := m["error"].(map[string]any); ok {
		if s, _ := inner["code"].(string); s != "" {
			e.Code = s
		}
		if s, _ := inner["message"].(string); s != "" {
			e.Message = s
		}
	}
	return e
}

func retryAfter(h http.Header) time.Duration {
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return defaultRetryAfter
}

var spinner = []string{"|", "/", "-", "\\"}

// tick redraws az's indeterminate progress line (" - Running ..").
func (p *poller) tick(i int) {
	if p.progress == nil {
		return
	}
	fmt.Fprintf(p.progress, "\r %s Running ..", spinner[i%len(spinner)])
}

// done erases the progress line.
func (p *poller) done() {
	if p.progress == nil {
		return
	}
	fmt.Fprintf(p.progress, "\r%s\r", strings.Repeat(" ", 40))
}
