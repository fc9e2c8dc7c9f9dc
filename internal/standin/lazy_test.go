package standin

import (
	"net"
	"sync/atomic"
	"testing"
)

// TestLazy: a lazy stand-in is made at its first connection only, kept
// for the same cluster, replaced when its FQDN changes, and closed by
// Remove.
func TestLazy(t *testing.T) {
	ca := newCA(t)
	var made atomic.Int32
	f := NewFleet(func(Cluster) (Config, error) { made.Add(1); return Config{CA: ca}, nil })
	defer f.Close()
	a := Cluster{ID: "/a", FQDN: "a.example.test"}
	la := f.Lazy(a)
	if f.Lazy(a) != la || f.Len() != 1 || f.Started() != 0 || made.Load() != 0 {
		t.Fatalf("registered: same handle %v, len %d, started %d, made %d", f.Lazy(a) == la, f.Len(), f.Started(), made.Load())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
			go la.ServeConn(c)
		}
	}()
	resp, err := client(ca, "a.example.test").Get("https://" + ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.Started() != 1 || made.Load() != 1 {
		t.Fatalf("after a connection: started %d, made %d; want 1, 1", f.Started(), made.Load())
	}
	a.FQDN = "a2.example.test"
	if f.Lazy(a) == la {
		t.Fatal("renamed cluster kept its handle")
	}
	f.Remove("/a")
	if f.Len() != 0 {
		t.Fatalf("len %d after Remove", f.Len())
	}
	if _, err := client(ca, "a.example.test").Get("https://" + ln.Addr().String() + "/readyz"); err == nil {
		t.Fatal("replaced stand-in still answers")
	}
}
