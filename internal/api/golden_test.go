package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "UUID"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "TIME"},
	{regexp.MustCompile(`c1-[0-9a-f]{8}\.`), "c1-XXXXXXXX."},
	{regexp.MustCompile(`"eTag": "\d+"`), `"eTag": "ETAG"`},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "HOST"},
}

// golden compares a response (status + indented body) with
// testdata/<name>.golden, after normalising ids, times and ports.
func golden(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.WriteString(resp.Status + "\n")
	if len(body) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		out.Write(b)
		out.WriteString("\n")
	}
	got := out.String()
	for _, n := range normalisers {
		got = n.re.ReplaceAllString(got, n.with)
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// TestGolden pins the main response bodies.
func TestGolden(t *testing.T) {
	e := newEnv(t, envOpts{featureDelay: -1})
	v := "?api-version=2021-04-01"
	golden(t, "metadata_endpoints", e.doToken(t, "", http.MethodGet, "/metadata/endpoints?api-version=2015-01-01", ""))
	golden(t, "group_put", e.do(t, http.MethodPut, groupPath+v, `{"location":"eastus"}`))
	golden(t, "group_get", e.do(t, http.MethodGet, strings.ToLower(groupPath)+v, ""))
	golden(t, "feature_get", e.do(t, http.MethodGet, featurePath+"?api-version=2021-07-01", ""))
	golden(t, "feature_register", e.do(t, http.MethodPost, featurePath+"/register?api-version=2021-07-01", ""))
	golden(t, "feature_list_namespace", e.do(t, http.MethodGet, "/subscriptions/"+testSub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features?api-version=2021-07-01", ""))
	time.Sleep(2 * time.Millisecond)
	golden(t, "provider_register", e.do(t, http.MethodPost, "/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/register"+v, ""))
	golden(t, "provider_unregister_network", e.do(t, http.MethodPost, "/subscriptions/"+testSub+"/providers/Microsoft.Network/unregister"+v, ""))
	golden(t, "cluster_not_found", e.do(t, http.MethodGet, clusterPath+mcVersion, ""))
	golden(t, "cluster_two_tags", e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"AzureCloud", "Storage", "10.0.0.1"}, nil)))
	resp := e.do(t, http.MethodPut, clusterPath+mcVersion, clusterBody([]string{"AzureCloud", "20.20.20.20"}, nil))
	opURL := resp.Header.Get("Azure-AsyncOperation")
	golden(t, "cluster_put", resp)
	opPath := opURL[strings.Index(opURL, "/subscriptions/"):]
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := readJSON(t, e.do(t, http.MethodGet, opPath, "")); m["status"] != "InProgress" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	golden(t, "operation_succeeded", e.do(t, http.MethodGet, opPath, ""))
	golden(t, "cluster_get", e.do(t, http.MethodGet, clusterPath+mcVersion, ""))
}
