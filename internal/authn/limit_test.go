package authn

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// tokenAttempt posts one client-credentials request and returns the
// status, the Retry-After header and the OAuth error code.
func (f *fixture) tokenAttempt(tb testing.TB, id, secret string) (code int, retryAfter, oauthErr string) {
	tb.Helper()
	form := msalForm(id, secret, f.base+"//.default")
	resp, err := f.client.Post(f.base+"/adfs/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header.Get("Retry-After"), m["error"]
}

func TestFailedSecretsLockOut(t *testing.T) {
	type step struct {
		advance    time.Duration // moved on the fixture's clock before the attempt
		who        string        // "admin", "scoped" or "stranger"
		good       bool          // the right secret
		code       int
		retryAfter string // "" = no header
	}
	bad := func(who string) step { return step{who: who, code: 401} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"five failures lock the id out, the right secret included", []step{
			bad("admin"), bad("admin"), bad("admin"), bad("admin"), bad("admin"),
			{who: "admin", good: true, code: 429, retryAfter: "60"},
			{advance: 59 * time.Second, who: "admin", good: true, code: 429, retryAfter: "1"},
			{advance: time.Second, who: "admin", good: true, code: 200},
		}},
		{"another client id is not affected", []step{
			bad("admin"), bad("admin"), bad("admin"), bad("admin"), bad("admin"),
			{who: "scoped", good: true, code: 200},
			{who: "admin", good: true, code: 429, retryAfter: "60"},
		}},
		{"a success resets the count", []step{
			bad("admin"), bad("admin"), bad("admin"), bad("admin"),
			{who: "admin", good: true, code: 200},
			bad("admin"), bad("admin"), bad("admin"), bad("admin"),
			{who: "admin", good: true, code: 200},
		}},
		{"failures spread over more than the window", []step{
			bad("admin"), bad("admin"), bad("admin"), bad("admin"),
			{advance: time.Minute, who: "admin", code: 401},
			bad("admin"), bad("admin"), bad("admin"),
			{who: "admin", good: true, code: 200},
		}},
		{"unknown client ids lock out the same way", []step{
			bad("stranger"), bad("stranger"), bad("stranger"), bad("stranger"), bad("stranger"),
			{who: "stranger", code: 429, retryAfter: "60"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ids := map[string][2]string{
				"admin":    {f.adminID, f.adminSecret},
				"scoped":   {f.scoped.ClientID, f.scopedSecret},
				"stranger": {"00000000-0000-0000-0000-00000000beef", "guess"},
			}
			for i, st := range tt.steps {
				f.now = f.now.Add(st.advance)
				id, secret := ids[st.who][0], ids[st.who][1]
				if !st.good {
					secret += "-wrong"
				}
				code, ra, oerr := f.tokenAttempt(t, id, secret)
				if code != st.code || ra != st.retryAfter {
					t.Fatalf("step %d (%s): status %d Retry-After %q (%s), want %d %q", i, st.who, code, ra, oerr, st.code, st.retryAfter)
				}
				if code == http.StatusTooManyRequests && oerr != "temporarily_unavailable" {
					t.Fatalf("step %d: error %q", i, oerr)
				}
			}
		})
	}
}

// TestFailureLimiterBounded checks that a stranger inventing client ids
// cannot grow the table past FailureLimit.Clients, and that long ids are
// kept hashed.
func TestFailureLimiterBounded(t *testing.T) {
	l := newFailureLimiter(FailureLimit{Clients: 100})
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		l.fail(fmt.Sprintf("%08d-%s", i, strings.Repeat("x", i%200)), now)
	}
	if n := l.tracked(); n != 100 {
		t.Fatalf("tracked %d client ids, want the bound 100", n)
	}
	for k := range l.ids {
		if len(k) > 71 {
			t.Fatalf("key of %d bytes kept", len(k))
		}
	}
	// The most recently seen ids survive; the oldest were forgotten.
	if l.ids[limiterKey(fmt.Sprintf("%08d-%s", 9_999, strings.Repeat("x", 9_999%200)))] == nil {
		t.Error("the newest id was evicted")
	}
	if l.ids[limiterKey("00000000-")] != nil {
		t.Error("the oldest id is still tracked")
	}
	// Case-insensitive: one id, however spelled.
	l2 := newFailureLimiter(FailureLimit{Failures: 2})
	l2.fail("ABCDEF", now)
	if d := l2.fail("abcdef", now); d != DefaultLockout || l2.lockedFor("AbCdEf", now) != DefaultLockout {
		t.Fatalf("lockout %v across spellings", d)
	}
}

func BenchmarkFailureLimiter(b *testing.B) {
	l := newFailureLimiter(FailureLimit{})
	now := time.Now()
	ids := make([]string, 50_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-0000-0000-000000000000", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := ids[i%len(ids)]
		if l.lockedFor(id, now) == 0 {
			l.fail(id, now)
		}
	}
}
