package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/testutil"
)

// twoPrincipals accepts testToken as "alice" and "bob-token" as "bob".
type twoPrincipals struct{}

func (twoPrincipals) Authenticate(r *http.Request) (api.Principal, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer " + testToken:
		return api.Principal{Name: "alice", AllSubscriptions: true}, nil
	case "Bearer bob-token":
		return api.Principal{Name: "bob", AllSubscriptions: true}, nil
	}
	return api.Principal{}, arm.ErrInvalidToken
}

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestARMThrottle: with --arm-throttle, requests are charged to ARM's
// buckets per principal, subscription and kind; the answers carry ARM's
// remaining-requests headers; a request past a bucket is ARM's 429 with
// Retry-After and changes nothing; another principal and another kind
// are unaffected; time refills.
func TestARMThrottle(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}
	th := armthrottle.New(armthrottle.Config{Writes: armthrottle.Bucket{Size: 3, Refill: 1}, GlobalFactor: 2, Now: clk.now})
	e := newEnv(t, envOpts{noController: true, configure: func(c *api.Config) {
		c.Throttle, c.Auth = th, twoPrincipals{}
	}})
	rg := func(name string) string {
		return "/subscriptions/" + testSub + "/resourcegroups/" + name + "?api-version=2022-09-01"
	}
	for i, want := range []string{"2", "1", "0"} {
		resp := e.do(t, "PUT", rg("rg"+want), `{"location":"eastus"}`)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("x-ms-ratelimit-remaining-subscription-writes") != want ||
			resp.Header.Get("x-ms-ratelimit-remaining-subscription-global-writes") != []string{"5", "4", "3"}[i] {
			t.Fatalf("write %d: %d, headers %v", i, resp.StatusCode, resp.Header)
		}
	}
	resp := e.do(t, "PUT", rg("rgX"), `{"location":"eastus"}`)
	var body arm.Envelope
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// ARM's text since its 2024 token buckets, as clients log it
	// (learn.microsoft.com …/request-limits-and-throttling; the message
	// in SDK users' reports).
	wantMsg := "Number of 'write' requests for subscription '" + testSub + "' actor 'alice' exceeded. Please try again after '1' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information."
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" ||
		body.Error.Code != "SubscriptionRequestsThrottled" || body.Error.Message != wantMsg {
		t.Fatalf("past the bucket: %d Retry-After %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), body.Error)
	}
	if r := e.do(t, "GET", rg("rgX"), ""); r.StatusCode != http.StatusNotFound || r.Header.Get("x-ms-ratelimit-remaining-subscription-reads") != "249" {
		t.Fatalf("the throttled PUT changed something, or reads share the writes' bucket: %d %v", r.StatusCode, r.Header)
	}
	if r := e.doToken(t, "Bearer bob-token", "PUT", rg("rgBob"), `{"location":"eastus"}`); r.StatusCode != http.StatusCreated ||
		r.Header.Get("x-ms-ratelimit-remaining-subscription-writes") != "2" || r.Header.Get("x-ms-ratelimit-remaining-subscription-global-writes") != "2" {
		t.Fatalf("another principal: %d %v", r.StatusCode, r.Header)
	}
	// The tenant scope (GET /subscriptions) has its own buckets.
	if r := e.do(t, "GET", "/subscriptions?api-version=2022-12-01", ""); r.StatusCode != http.StatusOK || r.Header.Get("x-ms-ratelimit-remaining-tenant-reads") != "249" {
		t.Fatalf("tenant read: %d %v", r.StatusCode, r.Header)
	}
	clk.advance(time.Second)
	if r := e.do(t, "PUT", rg("rgX"), `{"location":"eastus"}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("after a refill: %d", r.StatusCode)
	}
	// Unauthenticated requests are refused before any bucket is made.
	if r := e.doToken(t, "Bearer nobody", "GET", rg("rgX"), ""); r.StatusCode != http.StatusUnauthorized || r.Header.Get("x-ms-ratelimit-remaining-subscription-reads") != "" {
		t.Fatalf("unauthenticated: %d %v", r.StatusCode, r.Header)
	}
	if st := th.Stats(); st.Throttled != [3]uint64{0, 1, 0} {
		t.Fatalf("stats %+v", st)
	}
}

// TestARMThrottleSDKRetries: the Azure SDK for Go honours the 429's
// Retry-After, so a client past its bucket is slowed down, not failed.
func TestARMThrottleSDKRetries(t *testing.T) {
	th := armthrottle.New(armthrottle.Config{Writes: armthrottle.Bucket{Size: 1, Refill: 2}})
	e := newEnv(t, envOpts{noController: true, configure: func(c *api.Config) { c.Throttle = th }})
	opts := e.clientOptions()
	opts.Retry = policy.RetryOptions{} // the SDK's default: 3 retries, 429 among the retried statuses
	groups, err := armresources.NewResourceGroupsClient(testSub, testutil.StaticToken(testToken), opts)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, name := range []string{"rg1", "rg2", "rg3"} {
		if _, err := groups.CreateOrUpdate(context.Background(), name, armresources.ResourceGroup{Location: to.Ptr("eastus")}, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if st := th.Stats(); st.Throttled[armthrottle.Write] == 0 {
		t.Fatalf("no request throttled in %v: the test does not exercise the retry", time.Since(start))
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("3 writes with a 1-token bucket refilled at 2/s took %v: Retry-After not honoured", d)
	}
}
