package api_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/boltstore"
)

// TestRestart leaves a feature Registering and a cluster Creating with no
// controller running, closes the bbolt file, reopens it under a new handler
// and controller, and expects both to complete.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newEnv(t, envOpts{store: st, featureDelay: 500 * time.Millisecond, noController: true})
	a.createGroup(t)
	if r := a.do(t, http.MethodPost, featurePath+"/register?api-version=2021-07-01", ""); r.StatusCode != 200 {
		t.Fatalf("register: %d", r.StatusCode)
	}
	resp := a.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	opURL := resp.Header.Get("Azure-AsyncOperation")
	opPath := opURL[strings.Index(opURL, "/subscriptions/"):]
	if m := readJSON(t, a.do(t, http.MethodGet, opPath, "")); m["status"] != "InProgress" {
		t.Fatalf("operation before restart: %v", m)
	}
	a.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	b := newEnv(t, envOpts{store: st2, featureDelay: 500 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for {
		op := readJSON(t, b.do(t, http.MethodGet, opPath, ""))
		mc := readJSON(t, b.do(t, http.MethodGet, clusterPath+mcVersion, ""))
		kv, err := st2.Get(context.Background(), state.FeatureKey(testSub, state.ContainerService, state.FeatureServiceTags))
		var f state.Feature
		if err == nil {
			_ = state.Decode(kv.Key, kv.Value, &f)
		}
		props, _ := mc["properties"].(map[string]any)
		if op["status"] == "Succeeded" && props["provisioningState"] == "Succeeded" && f.State == state.FeatureRegistered {
			if _, ok := b.route(props["fqdn"].(string)); !ok {
				t.Fatal("no route after restart")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: op %v, cluster %v, feature %+v", op["status"], props["provisioningState"], f)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
