package standin

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
)

// DefaultVersion is the Kubernetes version reported when none is set.
const DefaultVersion = "1.32.4"

// Config is one stand-in API server.
type Config struct {
	Name              string  // the cluster FQDN: certificate SAN and SNI
	CA                *pki.CA // signs the serving certificate
	Token             string  // bearer token accepted ("" = any token)
	KubernetesVersion string  // "1.32.4" or "v1.32.4"; DefaultVersion when empty
	// Logger receives the HTTP server's own errors (TLS handshake errors
	// and the like, which any client can cause) at debug level; nil
	// discards them.
	Logger *slog.Logger
	Now    func() time.Time
}

// Bounds of a stand-in's HTTP server.
const (
	readHeaderTimeout = 10 * time.Second // also bounds the TLS handshake
	readTimeout       = 30 * time.Second
	writeTimeout      = time.Minute
	idleTimeout       = 90 * time.Second
)

// Server is one stand-in API server. It owns no listener: ServeConn serves
// HTTPS (HTTP/2 or HTTP/1.1) over a connection someone else accepted (the
// front door, for an admitted client), and Serve runs an accept loop for
// callers that have a listener. Its HTTP server runs only once a first
// connection arrives, so a stand-in nobody connects to costs a certificate
// and nothing else: no file descriptor, no goroutine.
type Server struct {
	name  string
	tls   *tls.Config
	srv   *http.Server
	ln    *connListener
	start sync.Once     // runs srv.Serve(ln) on the first connection (or marks done at Close)
	done  chan struct{} // closed when srv.Serve has returned (or never ran)

	mu    sync.Mutex
	conns map[*notifyConn]struct{} // being served
}

// New issues the serving certificate for cfg.Name from cfg.CA.
func New(cfg Config) (*Server, error) {
	if cfg.Name == "" || cfg.CA == nil {
		return nil, errors.New("new stand-in api server: a name and a CA are required")
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	leaf, err := cfg.CA.Issue(pki.LeafSpec{CommonName: cfg.Name, DNSNames: []string{cfg.Name}}, now())
	if err != nil {
		return nil, fmt.Errorf("new stand-in api server %q: %w", cfg.Name, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tlsCfg := &tls.Config{
		Certificates: []tls.Certificate{leaf.TLS},
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
	s := &Server{name: cfg.Name, tls: tlsCfg, ln: newConnListener(), done: make(chan struct{}), conns: map[*notifyConn]struct{}{}}
	s.srv = &http.Server{
		Handler:           newHandler(cfg),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		TLSConfig:         tlsCfg, // only tells Serve to offer HTTP/2 on the *tls.Conn it accepts
		ErrorLog:          slog.NewLogLogger(logger.With("standin", cfg.Name).Handler(), slog.LevelDebug),
	}
	return s, nil
}

// ServeConn serves HTTPS over c, which carries a client's TLS handshake
// from its first byte (a front door hands over a connection that replays
// the ClientHello it read). It returns when the connection has ended,
// closing it; after Close it closes c at once.
func (s *Server) ServeConn(c net.Conn) {
	s.start.Do(func() {
		go func() {
			defer close(s.done)
			_ = s.srv.Serve(s.ln)
		}()
	})
	nc := &notifyConn{Conn: c, ended: make(chan struct{})}
	s.mu.Lock()
	s.conns[nc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
	}()
	if !s.ln.push(tls.Server(nc, s.tls)) {
		c.Close()
		return
	}
	<-nc.ended
}

// closeConns closes the connections being served underneath their TLS
// layer, so that closing the HTTP server never waits on a close_notify
// alert to a client that does not read (crypto/tls waits up to 5 s).
func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for nc := range s.conns {
		nc.Conn.Close()
	}
}

// Serve accepts connections on ln and serves each with ServeConn until
// Accept fails, and returns that error. The caller closes ln.
func (s *Server) Serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go s.ServeConn(c)
	}
}

// Name returns the FQDN the server presents.
func (s *Server) Name() string { return s.name }

// Close stops the server and closes its connections at once; ServeConn
// calls in progress return.
func (s *Server) Close() error {
	s.ln.Close()
	s.start.Do(func() { close(s.done) }) // never started: nothing to wait for
	s.closeConns()
	err := s.srv.Close()
	<-s.done
	return err
}

// Shutdown stops taking connections and lets requests in flight finish
// until ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ln.Close()
	s.start.Do(func() { close(s.done) })
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.closeConns()
		_ = s.srv.Close()
	}
	<-s.done
	return err
}

// VersionInfo is the /version body, as k8s.io/apimachinery/pkg/version.Info.
type VersionInfo struct {
	Major        string `json:"major"`
	Minor        string `json:"minor"`
	GitVersion   string `json:"gitVersion"`
	GitCommit    string `json:"gitCommit"`
	GitTreeState string `json:"gitTreeState"`
	BuildDate    string `json:"buildDate"`
	GoVersion    string `json:"goVersion"`
	Compiler     string `json:"compiler"`
	Platform     string `json:"platform"`
}

// Version returns the /version body for a Kubernetes version string.
func Version(v string) VersionInfo {
	if v == "" {
		v = DefaultVersion
	}
	v = "v" + strings.TrimPrefix(v, "v")
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	major, minor := parts[0], ""
	if len(parts) > 1 {
		minor = parts[1]
	}
	return VersionInfo{
		Major: major, Minor: minor, GitVersion: v,
		GitCommit: "0000000000000000000000000000000000000000", GitTreeState: "clean",
		BuildDate: "2025-01-01T00:00:00Z", GoVersion: runtime.Version(), Compiler: runtime.Compiler,
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
}

func newHandler(cfg Config) http.Handler {
	ver := Version(cfg.KubernetesVersion)
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	}
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		mux.HandleFunc("GET "+p, ok)
	}
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, ver) })
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{
			"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": cfg.Name + ":443"}},
		})
	})
	mux.HandleFunc("GET /api/v1", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"kind": "APIResourceList", "groupVersion": "v1", "resources": []any{}})
	})
	mux.HandleFunc("GET /apis", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	})
	return authenticate(cfg.Token, mux)
}

// authenticate rejects a bearer token other than token; no token is anonymous.
func authenticate(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h != "" && token != "" {
			got, found := strings.CutPrefix(h, "Bearer ")
			if !found || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": msg, "reason": reason, "code": code,
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
