package standin

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveOn serves s on a loopback listener (through ServeConn) until the
// test ends, and returns the address.
func serveOn(tb testing.TB, s *Server) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	tb.Cleanup(func() { ln.Close(); s.Close() })
	return ln.Addr().String()
}

// TestServeConnProtocols: HTTP/2 and HTTP/1.1 are both served over a
// handed-over connection, and ServeConn returns once the client closes.
func TestServeConnProtocols(t *testing.T) {
	ca := newCA(t)
	s, err := New(Config{Name: "p.example.test", CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, proto := range []string{"h2", "http/1.1"} {
		t.Run(proto, func(t *testing.T) {
			cli, srv := net.Pipe()
			returned := make(chan struct{})
			go func() { s.ServeConn(srv); close(returned) }()
			tc := tls.Client(cli, &tls.Config{RootCAs: ca.Pool(), ServerName: "p.example.test", NextProtos: []string{proto}})
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			if got := tc.ConnectionState().NegotiatedProtocol; got != proto {
				t.Fatalf("negotiated %q, want %q", got, proto)
			}
			tc.Close()
			select {
			case <-returned:
			case <-time.After(5 * time.Second):
				t.Fatal("ServeConn still running after the client closed")
			}
		})
	}
}

// TestCloseUnused: closing a server no connection reached returns at
// once, and a later ServeConn closes its connection instead of serving.
func TestCloseUnused(t *testing.T) {
	s, err := New(Config{Name: "u.example.test", CA: newCA(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cli, srv := net.Pipe()
	done := make(chan struct{})
	go func() { s.ServeConn(srv); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("ServeConn after Close blocked")
	}
	if _, err := cli.Write([]byte("x")); err == nil {
		t.Fatal("connection left open after Close")
	}
}

// TestCloseEndsServeConn: Close ends the connections being served.
func TestCloseEndsServeConn(t *testing.T) {
	ca := newCA(t)
	s, err := New(Config{Name: "c.example.test", CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := net.Pipe()
	returned := make(chan struct{})
	go func() { s.ServeConn(srv); close(returned) }()
	tc := tls.Client(cli, &tls.Config{RootCAs: ca.Pool(), ServerName: "c.example.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn still running after Close")
	}
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHandshakeErrorsGoToSlog: a client that is not TLS makes a debug
// record on Config.Logger, not a line on the standard logger.
func TestHandshakeErrorsGoToSlog(t *testing.T) {
	var buf syncBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(Config{Name: "h.example.test", CA: newCA(t), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveOn(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
	_, _ = io.Copy(io.Discard, c)
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatalf("no handshake error record; log:\n%s", buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(buf.String(), "level=DEBUG") {
		t.Fatalf("handshake error not at debug level:\n%s", buf.String())
	}
}

// fdCount is the number of open file descriptors of this process.
func fdCount(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestFleetCostsNoDescriptors: 300 stand-ins open no file descriptor.
func TestFleetCostsNoDescriptors(t *testing.T) {
	ca := newCA(t)
	f := NewFleet(func(Cluster) (Config, error) { return Config{CA: ca}, nil })
	defer f.Close()
	before := fdCount(t)
	var cs []Cluster
	for i := range 300 {
		cs = append(cs, Cluster{ID: fmt.Sprintf("/c%d", i), FQDN: fmt.Sprintf("c%d.example.test", i)})
	}
	if _, err := f.Sync(cs); err != nil {
		t.Fatal(err)
	}
	if after := fdCount(t); after > before+2 {
		t.Fatalf("%d fds before 300 stand-ins, %d after", before, after)
	}
}
