package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// API versions the commands send, as az 2.45 does (az-wire.md).
const (
	apiFeatures    = "2021-07-01"
	apiResources   = "2021-04-01"
	apiAKS         = "2022-11-01"
	apiServiceTags = "2022-01-01"
)

// client talks to one tagwall ARM endpoint.
type client struct {
	base         *url.URL
	token        string
	subscription string
	http         *http.Client
	debug        io.Writer // nil: no HTTP log
	commandName  string    // az's CommandName header, e.g. "aks create"
	sleep        func(time.Duration)
}

// Throttled requests (429, ARM's token buckets) are retried as az's
// azure-core RetryPolicy retries them: after the answer's Retry-After, at
// most maxThrottleRetries times, each wait capped at maxThrottleWait.
const (
	maxThrottleRetries = 4
	maxThrottleWait    = time.Minute
)

// response is one answer from the API, already read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// newHTTPClient builds a TLS client trusting caFile ("" = system roots).
func newHTTPClient(caFile string, rt http.RoundTripper) (*http.Client, error) {
	if rt != nil {
		return &http.Client{Transport: rt, Timeout: 2 * time.Minute}, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file %q: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %q: no PEM certificates", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, nil
}

// url resolves an ARM path (starting "/") against the endpoint, or takes
// an absolute URL as is, and sets api-version when given.
func (c *client) url(path, apiVersion string) string {
	var u *url.URL
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		p, err := url.Parse(path)
		if err != nil {
			return path
		}
		u = p
	} else {
		cp := *c.base
		cp.Path = strings.TrimSuffix(c.base.Path, "/") + path
		cp.RawPath = ""
		cp.RawQuery = ""
		u = &cp
	}
	if apiVersion != "" {
		q := u.Query()
		q.Set("api-version", apiVersion)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// sub returns "/subscriptions/{id}".
func (c *client) sub() string { return "/subscriptions/" + c.subscription }

// do sends one request; a status of 400 or above becomes an *ARMError and a
// transport failure a "cannot reach" error.
func (c *client) do(ctx context.Context, method, rawURL string, body any) (*response, error) {
	return c.doHeader(ctx, method, rawURL, body, nil)
}

// doHeader is do with extra request headers (tagwall's opt-in headers). A
// 429 is retried after its Retry-After (see maxThrottleRetries); the last
// answer is returned.
func (c *client) doHeader(ctx context.Context, method, rawURL string, body any, hdr http.Header) (*response, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", method, rawURL, err)
		}
		payload = b
	}
	for attempt := 0; ; attempt++ {
		r, err := c.send(ctx, method, rawURL, body != nil, payload, hdr)
		if err != nil {
			return nil, err
		}
		if r.status == http.StatusTooManyRequests && attempt < maxThrottleRetries && ctx.Err() == nil {
			wait := min(retryAfter(r.header), maxThrottleWait)
			if c.debug != nil {
				fmt.Fprintf(c.debug, "throttled (429): retrying in %s\n", wait)
			}
			c.sleep(wait)
			continue
		}
		if r.status >= 400 {
			return r, parseARMError(r.status, r.body)
		}
		return r, nil
	}
}

// send sends one request and reads its answer; a transport failure is a
// "cannot reach" error.
func (c *client) send(ctx context.Context, method, rawURL string, hasBody bool, payload []byte, hdr http.Header) (*response, error) {
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, userError("build request %s %q: %v", method, rawURL, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tagwall-cli (az-compatible)")
	req.Header.Set("x-ms-client-request-id", uuid.NewString())
	if c.commandName != "" {
		req.Header.Set("CommandName", c.commandName)
	}
	if hasBody || method == http.MethodPut {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	c.logRequest(req, payload)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &cliError{code: 1, err: err, msg: fmt.Sprintf("cannot reach the tagwall API at %s: is `tagwall serve` running?", c.base)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &cliError{code: 1, err: err, msg: fmt.Sprintf("read answer of %s %s: %v", method, rawURL, err)}
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: b}
	c.logResponse(r)
	return r, nil
}

// getJSON GETs path and decodes the answer.
func (c *client) getJSON(ctx context.Context, path, apiVersion string) (any, error) {
	r, err := c.do(ctx, http.MethodGet, c.url(path, apiVersion), nil)
	if err != nil {
		return nil, err
	}
	return r.decode()
}

// decode parses the body; an empty body is nil.
func (r *response) decode() (any, error) {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil, nil
	}
	v, err := decodeJSON(r.body)
	if err != nil {
		return nil, userError("decode API answer (status %d): %v", r.status, err)
	}
	return v, nil
}

// listValues follows an ARM list ({"value":[…],"nextLink"}) to its end.
func (c *client) listValues(ctx context.Context, path, apiVersion string) ([]any, error) {
	out := []any{}
	next := c.url(path, apiVersion)
	for page := 0; next != "" && page < 1000; page++ {
		r, err := c.do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		v, err := r.decode()
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		vals, _ := m["value"].([]any)
		out = append(out, vals...)
		next, _ = m["nextLink"].(string)
	}
	return out, nil
}

const debugPrefix = "DEBUG: cli.azure.cli.core.sdk.policies: "

func (c *client) logRequest(req *http.Request, body []byte) {
	if c.debug == nil {
		return
	}
	w := c.debug
	fmt.Fprintf(w, "%sRequest URL: '%s'\n", debugPrefix, req.URL)
	fmt.Fprintf(w, "%sRequest method: '%s'\n", debugPrefix, req.Method)
	fmt.Fprintf(w, "%sRequest headers:\n", debugPrefix)
	logHeaders(w, req.Header)
	if body == nil {
		fmt.Fprintf(w, "%sNo body was attached to the request\n", debugPrefix)
	} else {
		fmt.Fprintf(w, "%sRequest body:\n%s%s\n", debugPrefix, debugPrefix, body)
	}
}

func (c *client) logResponse(r *response) {
	if c.debug == nil {
		return
	}
	w := c.debug
	fmt.Fprintf(w, "%sResponse status: %d\n", debugPrefix, r.status)
	fmt.Fprintf(w, "%sResponse headers:\n", debugPrefix)
	logHeaders(w, r.header)
	fmt.Fprintf(w, "%sResponse content:\n%s%s\n", debugPrefix, debugPrefix, bytes.TrimSpace(r.body))
}

// logHeaders prints headers in name order with the bearer token redacted.
func logHeaders(w io.Writer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := strings.Join(h[k], ", ")
		if strings.EqualFold(k, "Authorization") {
			v = "*****"
		}
		fmt.Fprintf(w, "%s    '%s': '%s'\n", debugPrefix, k, v)
	}
}
