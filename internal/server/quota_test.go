package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/authn"
)

// principalToken creates a service principal limited to m's default
// subscription and returns a bearer token for it from the token endpoint.
func principalToken(t *testing.T, m *Main, hc *http.Client) string {
	t.Helper()
	sp, secret, err := m.Authn().CreatePrincipal(context.Background(), authn.PrincipalSpec{
		DisplayName: "one-tenant", Subscriptions: []string{m.Subscription()}})
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(m.APIURL(), "/")
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sp.ClientID}, "client_secret": {secret}, "scope": {base + "//.default"}}
	resp, err := hc.PostForm(base+"/adfs/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token for %s: status %d %v", sp.ClientID, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestOneTenantCannotExhaustTheNode is issue 11's tenant run: a principal
// limited to one subscription sends 3,000 cluster PUTs. The 1,001st and
// later get 409 QuotaExceeded, the process's descriptors stay under 1,000
// (stand-ins cost no listener), the API answers throughout, and again
// after a restart with every admitted cluster routed.
func TestOneTenantCannotExhaustTheNode(t *testing.T) {
	if testing.Short() {
		t.Skip("3,000 PUTs")
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := start(t, cfg)
	s := newSeed(t, m)
	s.createGroup(t)
	token := principalToken(t, m, s.http)

	const puts, limit = 3000, 1000
	var created, quota, other, maxFDs atomic.Int64
	var firstOther atomic.Value
	names := make(chan int)
	stopProbe := make(chan struct{})
	var probeFails atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { // the API answers throughout, and descriptors stay bounded
		for {
			select {
			case <-stopProbe:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if code, _ := call(t, s.http, http.MethodGet, s.url("resourceGroups/"+rg, "2021-04-01"), token, nil); code != http.StatusOK {
				probeFails.Add(1)
			}
			if n := int64(fdCount(t)); n > maxFDs.Load() {
				maxFDs.Store(n)
			}
		}
	})
	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for i := range names {
				name := fmt.Sprintf("q%04d", i)
				u := s.url("resourceGroups/"+rg+"/providers/Microsoft.ContainerService/managedClusters/"+name, "2025-05-01")
				code, body := call(t, s.http, http.MethodPut, u, token, fleetSpec(name, "20.20.20.20"))
				switch {
				case code/100 == 2:
					created.Add(1)
				case code == http.StatusConflict && errorCode(body) == "QuotaExceeded":
					quota.Add(1)
				default:
					other.Add(1)
					firstOther.CompareAndSwap(nil, fmt.Sprintf("%s: %d %v", name, code, body))
				}
			}
		})
	}
	for i := range puts {
		names <- i
	}
	close(names)
	workers.Wait()
	close(stopProbe)
	wg.Wait()
	t.Logf("%d created, %d QuotaExceeded, %d other; max %d fds; %d failed API probes", created.Load(), quota.Load(), other.Load(), maxFDs.Load(), probeFails.Load())
	if created.Load() != limit || quota.Load() != puts-limit || other.Load() != 0 {
		t.Fatalf("created %d, quota %d, other %d (first: %v); want %d, %d, 0", created.Load(), quota.Load(), other.Load(), firstOther.Load(), limit, puts-limit)
	}
	if maxFDs.Load() >= 1000 {
		t.Errorf("%d open descriptors, want < 1,000", maxFDs.Load())
	}
	if probeFails.Load() != 0 {
		t.Errorf("%d API probes failed during the run", probeFails.Load())
	}
	eventually(t, 60*time.Second, "1,000 routes", func() error {
		if n := m.routeCount.Load(); n != limit {
			return fmt.Errorf("%d routes", n)
		}
		return nil
	})

	// Restart on the same data dir: the API answers and every cluster is
	// routed again, with the descriptors still bounded.
	if err := m.Close(); err != nil {
		// A loaded machine can overrun the graceful part of the stop
		// (connections still open); the restart below is what matters.
		t.Logf("close: %v", err)
	}
	m2 := start(t, cfg)
	s2 := newSeed(t, m2)
	if code, body := call(t, s2.http, http.MethodGet, s2.url("resourceGroups/"+rg, "2021-04-01"), m2.Token(), nil); code != http.StatusOK {
		t.Fatalf("API after restart: %d %v", code, body)
	}
	eventually(t, 60*time.Second, "1,000 routes after restart", func() error {
		if n := m2.routeCount.Load(); n != limit {
			return fmt.Errorf("%d routes", n)
		}
		return nil
	})
	if n := fdCount(t); n >= 1000 {
		t.Errorf("%d open descriptors after restart, want < 1,000", n)
	}
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
