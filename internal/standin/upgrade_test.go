package standin

import (
	"encoding/json"
	"testing"
)

// TestFleetVersionChange: a cluster whose version changes gets a new
// server at the next Sync, and that server's /version reports the new
// version at once (aks upgrade reaches the stand-in without a restart of
// tagwall). The version comes from the Cluster, as the server's apply
// passes the controller's Route.KubernetesVersion.
func TestFleetVersionChange(t *testing.T) {
	ca := newCA(t)
	f := NewFleet(func(Cluster) (Config, error) { return Config{CA: ca}, nil })
	defer f.Close()
	c := Cluster{ID: "/c", FQDN: "c.example.test", KubernetesVersion: "1.31.5"}
	version := func(s *Server) string {
		t.Helper()
		resp, err := client(ca, "c.example.test").Get("https://" + serveOn(t, s) + "/version")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v VersionInfo
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v.GitVersion
	}
	srvs, err := f.Sync([]Cluster{c})
	if err != nil {
		t.Fatal(err)
	}
	old := srvs["/c"]
	if v := version(old); v != "v1.31.5" {
		t.Fatalf("before: %s", v)
	}
	c.KubernetesVersion = "1.32.7"
	srvs, err = f.Sync([]Cluster{c})
	if err != nil || srvs["/c"] == old {
		t.Fatalf("upgrade kept the old server (%v)", err)
	}
	if v := version(srvs["/c"]); v != "v1.32.7" {
		t.Fatalf("after the upgrade: %s, want v1.32.7", v)
	}
}
