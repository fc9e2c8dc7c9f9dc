package standin

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
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
	Addr              string  // listen address; "127.0.0.1:0" when empty
	Now               func() time.Time
}

// Server is a running stand-in API server.
type Server struct {
	name string
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Start issues a serving certificate and starts listening.
func Start(cfg Config) (*Server, error) {
	if cfg.Name == "" || cfg.CA == nil {
		return nil, errors.New("start stand-in api server: a name and a CA are required")
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	leaf, err := cfg.CA.Issue(pki.LeafSpec{CommonName: cfg.Name, DNSNames: []string{cfg.Name}}, now())
	if err != nil {
		return nil, fmt.Errorf("start stand-in api server %q: %w", cfg.Name, err)
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start stand-in api server %q: %w", cfg.Name, err)
	}
	s := &Server{name: cfg.Name, ln: ln, done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           newHandler(cfg),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{leaf.TLS},
			NextProtos:   []string{"h2", "http/1.1"},
			MinVersion:   tls.VersionTLS12,
		},
	}
	go func() {
		defer close(s.done)
		_ = s.srv.ServeTLS(ln, "", "")
	}()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Name returns the FQDN the server presents.
func (s *Server) Name() string { return s.name }

// Close stops the server and its connections.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Shutdown stops accepting and lets requests in flight finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
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
