package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/standin"
	"github.com/tagwall/tagwall/internal/testutil"
)

// fdCount is the number of open file descriptors of this process.
func fdCount(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// putCluster sends one cluster PUT with ranges; it does not wait for the
// operation.
func putCluster(t *testing.T, s *seed, name string, ranges ...string) error {
	u := s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+name, "2025-05-01")
	if code, body := call(t, s.http, http.MethodPut, u, s.m.Token(), fleetSpec(name, ranges...)); code/100 != 2 {
		return fmt.Errorf("put %s: %d %v", name, code, body)
	}
	return nil
}

// putClusters creates clusters name-from..name-(to-1) through the API,
// a few at a time, and waits until the front door routes them all.
func putClusters(t *testing.T, s *seed, from, to int) {
	t.Helper()
	names := make(chan string)
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	for range 4 {
		wg.Go(func() {
			for name := range names {
				errs <- putCluster(t, s, name, "20.20.20.20")
			}
		})
	}
	for i := from; i < to; i++ {
		names <- fmt.Sprintf("c%03d", i)
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, fmt.Sprintf("%d routes", to), func() error {
		if n := s.m.routeCount.Load(); n != int64(to) {
			return fmt.Errorf("%d routes", n)
		}
		return nil
	})
}

// TestStandinsCostNoDescriptors: stand-ins are served in process, so 300
// clusters open no more file descriptors than 20 do, and a cluster is
// still reached through the front door.
func TestStandinsCostNoDescriptors(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	s := newSeed(t, m)
	s.createGroup(t)
	putClusters(t, s, 0, 20)
	before := fdCount(t)
	putClusters(t, s, 20, 300)
	after := fdCount(t)
	t.Logf("open fds: %d with 20 clusters, %d with 300", before, after)
	if after > before+10 {
		t.Fatalf("fds grew from %d to %d with 280 more clusters", before, after)
	}
	if n := m.fleet.Len(); n != 300 {
		t.Fatalf("%d stand-ins, want 300", n)
	}
	id := arm.ManagedClusterID(m.Subscription(), rg, "c299")
	cred, err := m.creds.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	var fqdn string
	for _, r := range m.gw.Routes() {
		if strings.EqualFold(r.Name, id) {
			fqdn = r.SNI
		}
	}
	if fqdn == "" {
		t.Fatalf("no route for %s", id)
	}
	body, err := frontDoorGet(m.GatewayAddr(), "20.20.20.20", fqdn, cred.CA.CertPEM, "/version")
	if err != nil || !strings.Contains(body, "gitVersion") {
		t.Fatalf("GET /version through the front door: %q %v", body, err)
	}
	if _, err := frontDoorGet(m.GatewayAddr(), "8.8.8.8", fqdn, cred.CA.CertPEM, "/version"); err == nil {
		t.Fatal("a client outside the list reached the stand-in")
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("refused client hung: %v", err)
	}
}

// TestStandinConnectionRevoked: a live connection to an in-process
// stand-in is closed when the cluster's new list no longer admits its
// client, as a proxied one is.
func TestStandinConnectionRevoked(t *testing.T) {
	m := start(t, testConfig(t, t.TempDir()))
	s := newSeed(t, m)
	s.createGroup(t)
	putClusters(t, s, 0, 1)
	id := arm.ManagedClusterID(m.Subscription(), rg, "c000")
	cred, err := m.creds.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	fqdn := m.gw.Routes()[0].SNI
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := testutil.DialProxied(ctx, m.GatewayAddr(), "20.20.20.20")
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, &tls.Config{RootCAs: cred.CA.Pool(), ServerName: fqdn, NextProtos: []string{"http/1.1"}})
	defer c.Close()
	fmt.Fprintf(c, "GET /version HTTP/1.1\r\nHost: %s\r\n\r\n", fqdn)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /version over the kept connection: %v", err)
	}
	resp.Body.Close()
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("kept connection ended before the list changed: %v", err)
	}
	if err := putCluster(t, s, "c000", "8.8.8.8"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	buf := make([]byte, 1)
	if _, err := c.Read(buf); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("connection still open 10 s after its client was removed from the list")
	}
	t.Logf("revoked %v after the PUT", time.Since(start).Round(time.Millisecond))
}

// TestStandinErrorLoggedOnce: a stand-in that cannot be made is retried at
// every connection but logged as an error once, until the error changes.
func TestStandinErrorLoggedOnce(t *testing.T) {
	var buf testutil.SyncBuffer
	m := &Main{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	bad := errors.New(`new stand-in api server "x": bad name`)
	c := standin.Cluster{ID: "/x", FQDN: "x"}
	for range 3 {
		m.logStandinErr(c, bad)
	}
	m.logStandinErr(c, errors.New("another"))
	out := buf.String()
	if n := strings.Count(out, "level=ERROR"); n != 2 {
		t.Fatalf("%d error records, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, "still failing"); n != 2 {
		t.Fatalf("%d debug records, want 2:\n%s", n, out)
	}
}
