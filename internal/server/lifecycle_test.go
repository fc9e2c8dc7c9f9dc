package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPartStopEndsRun: when a part stops on its own (its listener closed
// under it), Run returns an error naming the part, Err has it too, and
// /readyz turns unready.
func TestPartStopEndsRun(t *testing.T) {
	tests := []struct {
		name string
		part string
		kill func(m *Main)
	}{
		{name: "front door", part: partFrontDoor, kill: func(m *Main) { m.gwLn.Close() }},
		{name: "api", part: partAPI, kill: func(m *Main) { m.apiLn.Close() }},
		{name: "metrics", part: partMetrics, kill: func(m *Main) { m.metricsLn.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := start(t, testConfig(t, t.TempDir()))
			if code, body := scrape(t, m, "/readyz"); code != http.StatusOK || !strings.Contains(body, "[+]parts") {
				t.Fatalf("/readyz before: %d\n%s", code, body)
			}
			tt.kill(m)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := m.Run(ctx)
			if err == nil || !strings.HasPrefix(err.Error(), tt.part+" stopped") {
				t.Fatalf("Run = %v, want an error naming %q", err, tt.part)
			}
			c := m.parts.check()
			if c.ok || !strings.Contains(c.msg, tt.part+" stopped") {
				t.Fatalf("readiness after %s stopped: %+v", tt.part, c)
			}
			if tt.part == partMetrics {
				return // /readyz itself is gone
			}
			code, body := scrape(t, m, "/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "[-]parts "+tt.part+" stopped") {
				t.Fatalf("/readyz after: %d\n%s", code, body)
			}
		})
	}
}

// TestRunEndsWithContext: a cancelled context ends Run with nil, and
// Close afterwards reports no part as failed.
func TestRunEndsWithContext(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	select {
	case err := <-m.Err():
		t.Fatalf("Close reported a fatal error: %v", err)
	default:
	}
}

// apiConn opens a TLS connection to m's API.
func apiConn(t *testing.T, m *Main) *tls.Conn {
	t.Helper()
	pem, err := os.ReadFile(m.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	host := strings.TrimSuffix(strings.TrimPrefix(m.APIURL(), "https://"), "/")
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", host, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("dial api: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads c until it ends and reports how long that took; it
// fails when c is still open after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", limit)
	}
	return time.Since(start)
}

// TestAPITimeouts: an idle keep-alive connection is closed by the idle
// timeout, and a body sent a byte at a time by the read timeout.
func TestAPITimeouts(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.APIIdleTimeout, cfg.APIReadTimeout = 300*time.Millisecond, 700*time.Millisecond
	m := start(t, cfg)

	t.Run("idle keep-alive", func(t *testing.T) {
		c := apiConn(t, m)
		fmt.Fprintf(c, "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer %s\r\n\r\n", m.Token())
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("first request: %d close=%v", resp.StatusCode, resp.Close)
		}
		if d := closedWithin(t, c, 5*time.Second); d < 200*time.Millisecond {
			t.Fatalf("closed after %v, before the idle timeout", d)
		}
	})

	t.Run("metrics idle keep-alive", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", m.MetricsAddr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: metrics\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		closedWithin(t, c, 5*time.Second)
	})

	t.Run("slow body", func(t *testing.T) {
		c := apiConn(t, m)
		url := "/subscriptions/" + m.Subscription() + "/resourcegroups/slow?api-version=2021-04-01"
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", url, m.Token())
		stop := make(chan struct{})
		defer close(stop)
		go func() { // 100 bytes at one per 100 ms: 10 s if nothing cuts it
			for range 99 {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		if d := closedWithin(t, c, 5*time.Second); d > 3*time.Second {
			t.Fatalf("slow body held the connection %v", d)
		}
	})
}

// TestAPIConnectionCap: with MaxAPIConnections open, the next client
// waits until one closes.
func TestAPIConnectionCap(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MaxAPIConnections = 2
	m := start(t, cfg)
	first := apiConn(t, m)
	apiConn(t, m)
	done := make(chan error, 1)
	go func() {
		pem, _ := os.ReadFile(m.CAFile())
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		host := strings.TrimSuffix(strings.TrimPrefix(m.APIURL(), "https://"), "/")
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", host, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("third connection served while two are open (err %v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	first.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("third connection after one closed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("third connection not served after one closed")
	}
}
