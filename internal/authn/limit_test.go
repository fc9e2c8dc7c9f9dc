package authn

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// clientFrom is an HTTPS client of the fixture's server whose connections
// leave from the loopback address src (127.0.0.2: another client).
func (f *fixture) clientFrom(src string) *http.Client {
	tr := f.srv.Client().Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr.DialContext = d.DialContext
	return &http.Client{Transport: tr}
}

// tokenAttemptFrom posts one client-credentials request with c and
// returns the status, the Retry-After header and the OAuth error code.
func (f *fixture) tokenAttemptFrom(tb testing.TB, c *http.Client, id, secret string) (code int, retryAfter, oauthErr string) {
	tb.Helper()
	form := msalForm(id, secret, f.base+"//.default")
	resp, err := c.Post(f.base+"/adfs/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
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
		other      bool          // from 127.0.0.2 instead of 127.0.0.1
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
		{"a lockout from one address does not lock the id out from another", []step{
			{who: "admin", other: true, code: 401}, {who: "admin", other: true, code: 401}, {who: "admin", other: true, code: 401},
			{who: "admin", other: true, code: 401}, {who: "admin", other: true, code: 401},
			{who: "admin", other: true, good: true, code: 429, retryAfter: "60"},
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
			other := f.clientFrom("127.0.0.2")
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
				c := f.client
				if st.other {
					c = other
				}
				code, ra, oerr := f.tokenAttemptFrom(t, c, id, secret)
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

func TestSourceKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:5555", "127.0.0.1"},
		{"[::ffff:20.20.20.20]:443", "20.20.20.20"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:1", "2001:db8:1:2::/64"},
		{"not-an-address", "not-an-address"},
	}
	for _, tt := range tests {
		if got := SourceKey(tt.in); got != tt.want {
			t.Errorf("SourceKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
