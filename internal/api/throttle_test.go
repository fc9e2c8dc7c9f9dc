package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/store/memstore"
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

// TestThrottleFlood: one principal floods the API (8 workers, 1,200 reads
// of a resource group) while another reads now and then. The flooder gets
// no more than its bucket and its refill allow, every other answer 429;
// the other principal, with its own bucket, is never refused; the buckets
// stay two per principal and kind. Figures are logged (docs/bench/api.md:
// BenchmarkThrottledRequest is the cost of one refusal).
func TestThrottleFlood(t *testing.T) {
	th := armthrottle.New(armthrottle.Config{Reads: armthrottle.Bucket{Size: 50, Refill: 20}})
	e := newEnv(t, envOpts{noController: true, configure: func(c *api.Config) {
		c.Throttle, c.Auth = th, twoPrincipals{}
	}})
	e.createGroup(t)
	const workers, perWorker = 8, 150
	path := groupPath + "?api-version=2021-04-01"
	var ok, refused, other, otherRefused atomic.Int64
	start := time.Now()
	stop := make(chan struct{})
	var bob sync.WaitGroup
	bob.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond): // 10/s: within his own refill
			}
			r := e.doToken(t, "Bearer bob-token", "GET", path, "")
			r.Body.Close()
			other.Add(1)
			if r.StatusCode != http.StatusOK {
				otherRefused.Add(1)
				t.Logf("other principal: %d %v", r.StatusCode, r.Header)
			}
		}
	})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range perWorker {
				r := e.do(t, "GET", path, "")
				r.Body.Close()
				switch r.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
				default:
					t.Errorf("flood answer %d", r.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	bob.Wait()
	// The flooder's read bucket: 50, plus 20 a second (createGroup was a write).
	allowed := 50 + int64(20*elapsed.Seconds()) + 1
	if ok.Load() > allowed || ok.Load()+refused.Load() != workers*perWorker {
		t.Fatalf("%d admitted and %d refused of %d in %v: at most %d may be admitted", ok.Load(), refused.Load(), workers*perWorker, elapsed, allowed)
	}
	if otherRefused.Load() != 0 || other.Load() == 0 {
		t.Fatalf("the other principal: %d of %d refused", otherRefused.Load(), other.Load())
	}
	if st := th.Stats(); st.Buckets > 6 || st.Throttled[armthrottle.Read] != uint64(refused.Load()) {
		t.Fatalf("stats %+v, %d refused", st, refused.Load())
	}
	t.Logf("%d requests in %v (%.0f/s over TLS, 8 workers): %d admitted, %d refused; the other principal %d of %d admitted",
		workers*perWorker, elapsed.Round(time.Millisecond), float64(workers*perWorker)/elapsed.Seconds(), ok.Load(), refused.Load(), other.Load()-otherRefused.Load(), other.Load())
}

// BenchmarkThrottledRequest is what a request costs the API handler
// (ServeHTTP, no TLS or network) when ARM's throttle admits it (a GET of a
// resource group from the store) and when it refuses it (the 429 and its
// JSON): the refusal must stay cheap, since a flooder gets nothing else.
func BenchmarkThrottledRequest(b *testing.B) {
	for _, tc := range []struct {
		name string
		b    armthrottle.Bucket
		want int
	}{
		{"admitted", armthrottle.Bucket{Size: 1 << 30, Refill: 1 << 20}, http.StatusOK},
		{"refused", armthrottle.Bucket{Size: 1, Refill: 1e-9}, http.StatusTooManyRequests},
	} {
		b.Run(tc.name, func(b *testing.B) {
			st := memstore.New()
			h, err := api.New(api.Config{Store: st, Auth: api.StaticToken{Token: testToken}, FeatureDelay: -1})
			if err != nil {
				b.Fatal(err)
			}
			req := func(method, body string) *http.Request {
				r := httptest.NewRequest(method, "https://x"+groupPath+"?api-version=2021-04-01", strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+testToken)
				if body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				return r
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req(http.MethodPut, `{"location":"eastus"}`))
			if w.Code != http.StatusCreated {
				b.Fatalf("create group: %d", w.Code)
			}
			th := armthrottle.New(armthrottle.Config{Reads: tc.b})
			if h, err = api.New(api.Config{Store: st, Auth: api.StaticToken{Token: testToken}, Throttle: th}); err != nil {
				b.Fatal(err)
			}
			h.ServeHTTP(httptest.NewRecorder(), req(http.MethodGet, "")) // takes the refused case's one token
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req(http.MethodGet, ""))
				if w.Code != tc.want && tc.name == "refused" {
					b.Fatalf("answer %d, want %d", w.Code, tc.want)
				}
			}
		})
	}
}
