package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRestartCompletesPending stops the server while a feature is
// Registering and a cluster is Creating (the first run has no controller,
// so nothing can move on), and checks both complete after a restart on the
// same data dir.
func TestRestartCompletesPending(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.FeatureDelay = 2 * time.Second
	cfg.DisableController = true
	m1 := start(t, cfg)
	s := newSeed(t, m1)
	if st := s.featureState(t, "register"); st != "Registering" {
		t.Fatalf("feature %s, want Registering", st)
	}
	s.createGroup(t)
	ctx := context.Background()
	if _, err := s.clusters.BeginCreateOrUpdate(ctx, rg, clusterName, clusterSpec("20.20.20.20"), nil); err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := s.clusters.Get(ctx, rg, clusterName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := *got.Properties.ProvisioningState; st != "Creating" {
		t.Fatalf("before restart: %s, want Creating", st)
	}
	if err := m1.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	cfg.DisableController = false
	m2 := start(t, cfg)
	s2 := newSeed(t, m2)
	eventually(t, 15*time.Second, "cluster Succeeded after restart", func() error {
		got, err := s2.clusters.Get(ctx, rg, clusterName, nil)
		if err != nil {
			return err
		}
		if st := *got.Properties.ProvisioningState; st != "Succeeded" {
			return errors.New(st)
		}
		return nil
	})
	eventually(t, 15*time.Second, "feature Registered after restart", func() error {
		if st := s2.featureState(t, ""); st != "Registered" {
			return errors.New(st)
		}
		return nil
	})
	// The restarted server routes the cluster to a stand-in.
	got, err = s2.clusters.Get(ctx, rg, clusterName, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, caPEM, _ := parseKubeconfig(t, s2.kubeconfig(t))
	if _, err := frontDoorGet(m2.GatewayAddr(), "20.20.20.20", *got.Properties.Fqdn, caPEM, "/readyz"); err != nil {
		t.Fatalf("front door after restart: %v", err)
	}
}
