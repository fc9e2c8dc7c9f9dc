package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestSessionsBoundAndExpiry runs the same contract on both session
// backends: memory, and a store (shared by replicas).
func TestSessionsBoundAndExpiry(t *testing.T) {
	for _, backend := range []struct {
		name string
		st   store.Store
	}{{"memory", nil}, {"store", memstore.New()}} {
		t.Run(backend.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSessions(2, time.Hour, backend.st, nil)
			create := func(g Grant, at time.Time) string {
				t.Helper()
				id, _, err := s.create(ctx, g, at)
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			id1 := create(Grant{Principal: Principal{Name: "one"}}, t0)
			id2 := create(Grant{Principal: Principal{Name: "two"}, Expires: t0.Add(10 * time.Minute)}, t0.Add(time.Minute))
			if ss := s.get(ctx, id2, t0.Add(5*time.Minute)); ss == nil || ss.principal.Name != "two" {
				t.Fatalf("session two: %+v", ss)
			}
			if ss := s.get(ctx, id2, t0.Add(11*time.Minute)); ss != nil {
				t.Fatalf("session two outlived its credential")
			}
			id3 := create(Grant{Principal: Principal{Name: "three"}}, t0.Add(2*time.Minute))
			id4 := create(Grant{Principal: Principal{Name: "four"}, Bearer: "b4"}, t0.Add(3*time.Minute))
			if n := s.len(ctx); n != 2 {
				t.Fatalf("%d sessions, bound 2", n)
			}
			if s.get(ctx, id1, t0.Add(4*time.Minute)) != nil {
				t.Fatalf("the session closest to expiry was not evicted")
			}
			if s.get(ctx, id3, t0.Add(4*time.Minute)) == nil {
				t.Fatalf("newer session lost")
			}
			if ss := s.get(ctx, id4, t0.Add(4*time.Minute)); ss == nil || ss.bearer != "b4" || ss.csrf == "" {
				t.Fatalf("session four: %+v", ss)
			}
			if s.get(ctx, id4, t0.Add(3*time.Minute+time.Hour)) != nil {
				t.Fatalf("session outlived the TTL")
			}
			if s.get(ctx, "", t0) != nil || s.get(ctx, "unknown", t0) != nil {
				t.Fatalf("unknown id accepted")
			}
			s.delete(ctx, id3)
			if s.get(ctx, id3, t0.Add(4*time.Minute)) != nil {
				t.Fatalf("deleted session still live")
			}
		})
	}
}

// TestStoredSessionsHoldNoCookie: the store holds the SHA-256 of the
// cookie, never the cookie; a damaged record is no session and is removed.
func TestStoredSessionsHoldNoCookie(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	s := newSessions(10, time.Hour, st, nil)
	id, _, err := s.create(ctx, Grant{Principal: Principal{Name: "p"}, Bearer: "bearer"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	kvs, _, err := st.List(ctx, SessionsPrefix)
	if err != nil || len(kvs) != 1 {
		t.Fatalf("stored sessions: %v %v", kvs, err)
	}
	if strings.Contains(kvs[0].Key, id) || strings.Contains(string(kvs[0].Value), id) {
		t.Fatalf("the cookie value is in the store: %s = %s", kvs[0].Key, kvs[0].Value)
	}
	if _, err := st.Put(ctx, kvs[0].Key, []byte("{damaged")); err != nil {
		t.Fatal(err)
	}
	if s.get(ctx, id, t0) != nil {
		t.Fatal("a damaged record read as a session")
	}
	if kvs, _, _ := st.List(ctx, SessionsPrefix); len(kvs) != 0 {
		t.Fatalf("the damaged record stayed: %v", kvs)
	}
}

func TestSafeNext(t *testing.T) {
	c := &Console{cfg: Config{Prefix: "/ui/"}}
	tests := []struct{ name, next, want string }{
		{name: "inside", next: "/ui/tags?q=x", want: "/ui/tags?q=x"},
		{name: "empty", next: "", want: "/ui/clusters"},
		{name: "other site", next: "https://evil.example/ui/", want: "/ui/clusters"},
		{name: "scheme-relative", next: "//evil.example/ui/", want: "/ui/clusters"},
		{name: "outside the console", next: "/subscriptions", want: "/ui/clusters"},
		{name: "backslash", next: "/ui/\\evil", want: "/ui/clusters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.safeNext(tt.next); got != tt.want {
				t.Fatalf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	tests := []struct {
		name     string
		in, want int
	}{
		{"zero", 0, 1}, {"one", 1, 1}, {"two", 2, 2}, {"three", 3, 5}, {"seven", 7, 10}, {"eleven", 11, 20}, {"big", 4321, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := niceCeil(tt.in); got != tt.want {
				t.Fatalf("niceCeil(%d) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestRefusalChart(t *testing.T) {
	r := NewRecorder(RecorderConfig{})
	r.Record("r", netipAddr("192.0.2.1"), false, "x", t0)
	svg := string(refusalChart(r.History("r", t0).Minutes))
	for _, w := range []string{`<svg class="chart"`, `role="img"`, "1 refused connections in the last hour", "Peak: 1", `class="bar"`, "now"} {
		if !contains(svg, w) {
			t.Errorf("chart lacks %q: %s", w, svg)
		}
	}
	if empty := string(refusalChart(NewRecorder(RecorderConfig{}).History("r", t0).Minutes)); contains(empty, `class="bar"`) {
		t.Errorf("empty chart has bars")
	}
}

// TestSessionsPerPrincipal: one principal signing in again and again
// drops its own oldest sessions, never another principal's, on both
// backends.
func TestSessionsPerPrincipal(t *testing.T) {
	for _, backend := range []struct {
		name string
		st   store.Store
	}{{"memory", nil}, {"store", memstore.New()}} {
		t.Run(backend.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSessions(100, time.Hour, backend.st, nil)
			admin, _, err := s.create(ctx, Grant{Principal: Principal{Name: "admin"}}, t0)
			if err != nil {
				t.Fatal(err)
			}
			var first string
			for i := range 3 * MaxSessionsPerPrincipal {
				id, _, err := s.create(ctx, Grant{Principal: Principal{Name: "noisy"}}, t0.Add(time.Duration(i+1)*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = id
				}
			}
			at := t0.Add(time.Minute)
			if s.get(ctx, admin, at) == nil {
				t.Fatal("another principal's sign-ins pushed the admin's session out")
			}
			if s.get(ctx, first, at) != nil {
				t.Fatal("the noisy principal's oldest session is still live")
			}
			if n := s.len(ctx); n != MaxSessionsPerPrincipal+1 {
				t.Fatalf("%d sessions, want %d of the noisy principal and the admin's", n, MaxSessionsPerPrincipal+1)
			}
		})
	}
}

// TestThrottleTableFull: filling the throttle's table with new sources
// does not lift another source's block, and one IPv6 /64 is one source.
func TestThrottleTableFull(t *testing.T) {
	th := newThrottle()
	for range signInBurst {
		th.fail("20.20.20.20:1234", t0)
	}
	if !th.blocked("20.20.20.20:999", t0) {
		t.Fatal("a source past its burst is not blocked")
	}
	for i := range 2 * maxThrottledAddr {
		th.fail(fmt.Sprintf("[2001:db8:%x::1]:443", i), t0)
	}
	if len(th.m) > maxThrottledAddr {
		t.Fatalf("table holds %d sources, bound %d", len(th.m), maxThrottledAddr)
	}
	if !th.blocked("20.20.20.20:1", t0) {
		t.Fatal("new sources filling the table lifted a block")
	}
	for i := range signInBurst {
		th.fail(fmt.Sprintf("[2001:db8:ffff:1::%x]:443", i+1), t0)
	}
	if !th.blocked("[2001:db8:ffff:1::99]:1", t0) {
		t.Fatal("addresses of one /64 are counted apart")
	}
}
