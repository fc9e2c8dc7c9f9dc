package api_test

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
)

// send issues a request with exactly the given headers (no defaults).
func (e *env) send(t *testing.T, method, path, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for k, v := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestContentType: a body that is not declared JSON is a 415 with an ARM
// body; what az 2.45 and the Azure SDK send is accepted.
func TestContentType(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	group := "/subscriptions/" + testSub + "/resourceGroups/ct?api-version=2021-04-01"
	const register = "/subscriptions/" + testSub + "/providers/Microsoft.ContainerService/register?api-version=2021-04-01"
	tests := []struct {
		name, method, path, body, ct string
		want                         int
	}{
		{name: "text/plain", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, ct: "text/plain", want: 415},
		{name: "form", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, ct: "application/x-www-form-urlencoded", want: 415},
		{name: "no content type", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, want: 415},
		{name: "json latin1", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, ct: "application/json; charset=latin1", want: 415},
		{name: "cluster text", method: http.MethodPut, path: clusterPath + mcVersion, body: clusterBody(nil, nil), ct: "text/json", want: 415},
		{name: "az group create", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, ct: "application/json", want: 201},
		{name: "SDK charset", method: http.MethodPut, path: group, body: `{"location":"eastus"}`, ct: "application/json; charset=utf-8", want: 200},
		{name: "az provider register, empty body", method: http.MethodPost, path: register, ct: "application/json", want: 200},
		{name: "az feature register, nothing", method: http.MethodPost, path: featurePath + "/register?api-version=2021-07-01", want: 200},
		{name: "GET with a stray content type", method: http.MethodGet, path: group, ct: "text/plain", want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.ct != "" {
				hdr["Content-Type"] = tt.ct
			}
			resp := e.send(t, tt.method, tt.path, tt.body, hdr)
			if tt.want != 415 {
				if resp.StatusCode != tt.want {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
				}
				return
			}
			status, code, msg, _ := armTarget(t, resp)
			if status != 415 || code != "UnsupportedMediaType" || !strings.Contains(msg, "application/json") {
				t.Fatalf("got %d %s %q", status, code, msg)
			}
		})
	}
}

// TestHeaderBytes: header and query bytes the handler can see get an ARM
// error body.
func TestHeaderBytes(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name, path, header, value, code, want string
	}{
		{name: "request id not ascii", path: featurePath + "?api-version=2021-07-01", header: "x-ms-client-request-id", value: "id-\xff\xfe",
			code: "InvalidHeaderValue", want: "X-Ms-Client-Request-Id"},
		{name: "correlation id utf-8", path: featurePath + "?api-version=2021-07-01", header: "x-ms-correlation-request-id", value: "caf\u00e9",
			code: "InvalidHeaderValue", want: "printable ASCII"},
		{name: "If-Match 8-bit", path: clusterPath + mcVersion, header: "If-Match", value: "\"\x80\"",
			code: "InvalidHeaderValue", want: "If-Match"},
		{name: "api-version NUL", path: featurePath + "?api-version=2021-07-01%00", code: "InvalidApiVersionParameter", want: `2021-07-01\u0000`},
		{name: "api-version bidi", path: featurePath + "?api-version=%E2%80%AE10-70-1202", code: "InvalidApiVersionParameter", want: `\u202e`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.header != "" {
				hdr[tt.header] = tt.value
			}
			status, code, msg, _ := armTarget(t, e.send(t, http.MethodGet, tt.path, "", hdr))
			if status != 400 || code != tt.code || !strings.Contains(msg, tt.want) {
				t.Fatalf("got %d %s %q, want 400 %s containing %q", status, code, msg, tt.code, tt.want)
			}
		})
	}
}

// TestMalformedHeaderNotIntercepted documents what the handler cannot
// answer: net/http refuses a header with a control byte before routing,
// with a plain-text 400 of its own.
func TestMalformedHeaderNotIntercepted(t *testing.T) {
	e := newEnv(t, envOpts{})
	conn, err := tls.Dial("tcp", e.srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true}) // loopback test server
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET " + featurePath + "?api-version=2021-07-01 HTTP/1.1\r\nHost: x\r\nX-Ms-Client-Request-Id: a\x01b\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 400 || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("net/http's own answer changed: %d %s; update docs/serve.md", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
