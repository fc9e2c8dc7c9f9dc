package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/clustercreds"
)

// TestRecreatedClusterGetsNewCredentials: a cluster deleted and created
// again under the same id gets a new CA and token, and the deleted one's
// credential files are gone, so a kubeconfig of the deleted cluster is
// worth nothing against the new one.
func TestRecreatedClusterGetsNewCredentials(t *testing.T) {
	dir := t.TempDir()
	m := start(t, testConfig(t, dir))
	s := newSeed(t, m)
	s.createGroup(t)
	if _, err := s.put(t, clusterSpec("20.20.20.20")); err != nil {
		t.Fatal(err)
	}
	_, _, caBefore, tokBefore := parseKubeconfig(t, s.kubeconfig(t))
	id := "/subscriptions/" + m.Subscription() + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/managedClusters/" + clusterName
	credDir := clustercreds.Dir(filepath.Join(dir, "clusters"), id)
	if _, err := os.Stat(credDir); err != nil {
		t.Fatalf("credentials dir of the cluster: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dp, err := s.clusters.BeginDelete(ctx, rg, clusterName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, pollFast); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the deleted cluster's credentials dir removed", func() error {
		if _, err := os.Stat(credDir); err == nil {
			return os.ErrExist
		}
		return nil
	})

	if _, err := s.put(t, clusterSpec("20.20.20.20")); err != nil {
		t.Fatal(err)
	}
	_, _, caAfter, tokAfter := parseKubeconfig(t, s.kubeconfig(t))
	if bytes.Equal(caBefore, caAfter) || tokBefore == tokAfter {
		t.Fatal("the re-created cluster has the deleted one's CA or token")
	}
}
