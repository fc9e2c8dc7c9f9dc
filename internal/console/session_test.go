package console

import (
	"testing"
	"time"
)

func TestSessionsBoundAndExpiry(t *testing.T) {
	s := newSessions(2, time.Hour)
	id1, _ := s.create(Grant{Principal: Principal{Name: "one"}}, t0)
	id2, _ := s.create(Grant{Principal: Principal{Name: "two"}, Expires: t0.Add(10 * time.Minute)}, t0.Add(time.Minute))
	if ss := s.get(id2, t0.Add(5*time.Minute)); ss == nil || ss.principal.Name != "two" {
		t.Fatalf("session two: %+v", ss)
	}
	if ss := s.get(id2, t0.Add(11*time.Minute)); ss != nil {
		t.Fatalf("session two outlived its credential")
	}
	id3, _ := s.create(Grant{Principal: Principal{Name: "three"}}, t0.Add(2*time.Minute))
	id4, _ := s.create(Grant{Principal: Principal{Name: "four"}}, t0.Add(3*time.Minute))
	if s.len() != 2 {
		t.Fatalf("%d sessions, bound 2", s.len())
	}
	if s.get(id1, t0.Add(4*time.Minute)) != nil {
		t.Fatalf("the session closest to expiry was not evicted")
	}
	if s.get(id3, t0.Add(4*time.Minute)) == nil || s.get(id4, t0.Add(4*time.Minute)) == nil {
		t.Fatalf("newer sessions lost")
	}
	if s.get(id4, t0.Add(3*time.Minute+time.Hour)) != nil {
		t.Fatalf("session outlived the TTL")
	}
	if s.get("", t0) != nil || s.get("unknown", t0) != nil {
		t.Fatalf("unknown id accepted")
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
