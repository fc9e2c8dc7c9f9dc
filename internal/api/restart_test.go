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

// TestOperationRecordExpires: an operation's status URLs answer while it
// runs and after it ends, until the retention passes; then the record is
// gone and both answer 404, so the store does not keep every operation
// ever started.
func TestOperationRecordExpires(t *testing.T) {
	e := newEnv(t, envOpts{opRetention: 300 * time.Millisecond})
	e.createGroup(t)
	resp := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"20.20.20.20"}, nil))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	opURL := resp.Header.Get("Azure-AsyncOperation")
	opPath := opURL[strings.Index(opURL, "/subscriptions/"):]
	resPath := strings.Replace(opPath, "/operations/", "/operationresults/", 1) // the Location a DELETE gets
	deadline := time.Now().Add(10 * time.Second)
	for readJSON(t, e.do(t, http.MethodGet, opPath, ""))["status"] != "Succeeded" {
		if time.Now().After(deadline) {
			t.Fatal("the operation did not succeed within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		op, res := e.do(t, http.MethodGet, opPath, ""), e.do(t, http.MethodGet, resPath, "")
		op.Body.Close()
		res.Body.Close()
		if op.StatusCode == http.StatusNotFound && res.StatusCode == http.StatusNotFound {
			break
		}
		if op.StatusCode != http.StatusOK {
			t.Fatalf("operation status before it expired: %d", op.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("the ended operation's record was not deleted within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.do(t, http.MethodGet, clusterPath+mcVersion, ""); r.StatusCode != 200 {
		t.Fatalf("the cluster after its operation expired: %d", r.StatusCode)
	}
}
