package server

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
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
				u := s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+name, "2025-05-01")
				if code, body := call(t, s.http, http.MethodPut, u, s.m.Token(), fleetSpec(name, "20.20.20.20")); code/100 != 2 {
					errs <- fmt.Errorf("put %s: %d %v", name, code, body)
				}
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
		t.Fatal(err)
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
