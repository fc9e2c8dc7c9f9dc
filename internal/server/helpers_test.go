package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tagwall/tagwall/internal/testutil"
)

// Real service-tag documents the tests load (testutil.ServiceTags finds
// them): the Azure Public one where the AzureCloud tag matters, the small
// AzureGermany one elsewhere (it parses in a fraction of the time, which
// counts under -race).
const (
	publicTags  = testutil.PublicTags
	germanyTags = "azure-germany-2022-03-07.json"
)

// testConfig is a Config with the small real document, on loopback :0
// ports in dir, trusting PROXY headers from 127.0.0.1.
func testConfig(tb testing.TB, dir string) Config {
	tb.Helper()
	return Config{
		DataDir:          dir,
		APIAddr:          "127.0.0.1:0",
		GatewayAddr:      "127.0.0.1:0",
		MetricsAddr:      "127.0.0.1:0",
		TrustedProxies:   []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		ServiceTags:      []string{testutil.ServiceTags(tb, germanyTags)},
		FeatureDelay:     time.Second,
		ClientConfigPath: filepath.Join(dir, "client", "config.json"),
		Logger:           testLogger(tb),
	}
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(tb testing.TB) *slog.Logger {
	if os.Getenv("TAGWALL_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start runs a Main and closes it at the end of the test.
func start(tb testing.TB, cfg Config) *Main {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := New(ctx, cfg)
	if err != nil {
		tb.Fatalf("new: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// call sends one ARM request and decodes the JSON answer (if any).
func call(tb testing.TB, c *http.Client, method, url, token string, body any) (int, map[string]any) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// frontDoorGet does GET path on the cluster behind m's front door as a
// client at addr (sent in a PROXY v2 header from 127.0.0.1), with SNI
// fqdn, verifying with caPEM. It returns the body or the error.
func frontDoorGet(gatewayAddr, client, fqdn string, caPEM []byte, path string) (string, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return "", fmt.Errorf("no CA")
	}
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: fqdn},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return testutil.DialProxied(ctx, gatewayAddr, client)
		},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := hc.Get("https://" + fqdn + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), err
}

// parseKubeconfig reads what Kubeconfig wrote.
func parseKubeconfig(tb testing.TB, b []byte) (server, sni string, caPEM []byte, token string) {
	tb.Helper()
	var kc kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		tb.Fatalf("parse kubeconfig: %v\n%s", err, b)
	}
	if len(kc.Clusters) != 1 || len(kc.Users) != 1 || len(kc.Contexts) != 1 || kc.CurrentContext != kc.Contexts[0].Name {
		tb.Fatalf("kubeconfig shape:\n%s", b)
	}
	ca, err := decodeB64(kc.Clusters[0].Cluster.CertificateAuthorityData)
	if err != nil {
		tb.Fatalf("kubeconfig ca: %v", err)
	}
	return kc.Clusters[0].Cluster.Server, kc.Clusters[0].Cluster.TLSServerName, ca, kc.Users[0].User.Token
}

// eventually polls f until it returns nil or d passes.
func eventually(tb testing.TB, d time.Duration, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// publicConfig is testConfig with the real Azure Public document.
func publicConfig(tb testing.TB, dir string) Config {
	tb.Helper()
	cfg := testConfig(tb, dir)
	cfg.ServiceTags = []string{testutil.ServiceTags(tb, publicTags)}
	return cfg
}
