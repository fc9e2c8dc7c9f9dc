package clustercreds

import (
	"bytes"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestGet: credentials are made once per cluster (ids case-insensitive),
// kept across Stores on the same dir, and differ between clusters.
func TestGet(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, nil, nil)
	const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a"
	a, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	upper, err := s.Get("/SUBSCRIPTIONS/s/resourcegroups/RG/providers/Microsoft.ContainerService/managedClusters/A")
	if err != nil || upper != a {
		t.Fatalf("ids differing in case got different credentials: %v", err)
	}
	again, err := New(dir, nil, nil).Get(id)
	if err != nil || again.Token != a.Token || !bytes.Equal(again.CA.CertPEM, a.CA.CertPEM) {
		t.Fatalf("credentials changed across restarts: %v", err)
	}
	b, err := s.Get(id + "b")
	if err != nil || b.Token == a.Token || bytes.Equal(b.CA.CertPEM, a.CA.CertPEM) {
		t.Fatalf("two clusters share credentials: %v", err)
	}
	if got := Dir(dir, id); filepath.Dir(got) != dir || got != Dir(dir, "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/A") {
		t.Fatalf("Dir = %s", got)
	}
}

// TestShareCalledOnce: the share function runs once per cluster, with the
// cluster's directory.
func TestShareCalledOnce(t *testing.T) {
	dir := t.TempDir()
	var calls atomic.Int32
	s := New(dir, nil, func(clusterID, d string, create func() error) error {
		calls.Add(1)
		if d != Dir(dir, clusterID) {
			t.Errorf("share dir %s, want %s", d, Dir(dir, clusterID))
		}
		return create()
	})
	for range 3 {
		if _, err := s.Get("/c"); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("share called %d times", n)
	}
}
