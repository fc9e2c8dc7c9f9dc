package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/clientconfig"
)

const (
	testSub   = "8f1c2a9e-4b7d-4c55-9a2e-1f0b3c4d5e6f"
	testToken = "s3cret-test-token"
)

// fakeARM is an httptest TLS server answering the ARM calls the CLI makes
// with the canned bodies under testdata/arm, keeping just enough state for
// register → show and create → show journeys.
type fakeARM struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	featureState string
	providerSt   string
	groups       map[string]map[string]any
	clusters     map[string]map[string]any
	ops          map[string]int              // operation id → polls left before Succeeded
	pools        map[string][]map[string]any // cluster key → agent pools, from agentPoolProfiles
	failOps      bool
	// unknownFeatures makes POST …/register of any feature but the
	// seed's answer 404 FeatureNotFound.
	unknownFeatures bool
	// adminSuffixed makes the admin kubeconfig's context "<cluster>-admin",
	// as tagwall's server named it before issue 13 (AKS: "<cluster>").
	adminSuffixed bool
	// throttleNext answers the next n requests 429
	// SubscriptionRequestsThrottled with Retry-After: 3.
	throttleNext int
	requests     []string // "METHOD path" in order
	bodies       []string
}

func readFixture(tb testing.TB, name string) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "arm", name))
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	return m
}

func newFakeARM(tb testing.TB) *fakeARM {
	f := &fakeARM{t: tb, featureState: "NotRegistered", providerSt: "Registered",
		groups: map[string]map[string]any{}, clusters: map[string]map[string]any{}, ops: map[string]int{},
		pools: map[string][]map[string]any{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

// withGroup and withCluster seed state from the fixtures.
func (f *fakeARM) withGroup() *fakeARM {
	f.groups["myresourcegroup"] = readFixture(f.t, "group.json")
	return f
}

func (f *fakeARM) withCluster() *fakeARM {
	f.withGroup()
	f.clusters["myresourcegroup/myakscluster"] = readFixture(f.t, "cluster.json")
	return f
}

// env returns an Env whose client config points at the fake.
func (f *fakeARM) env(tb testing.TB) Env {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "tagwall", "config.json")
	if err := clientconfig.Save(path, clientconfig.Config{Endpoint: f.srv.URL + "/", Token: testToken, Subscription: testSub}); err != nil {
		tb.Fatal(err)
	}
	return Env{ConfigPath: path, Home: dir, Transport: f.srv.Client().Transport, Sleep: func(time.Duration) {}}
}

func armErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeARM) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.bodies = append(f.bodies, string(body))
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		armErr(w, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
		return
	}
	if f.throttleNext > 0 {
		f.throttleNext--
		w.Header().Set("Retry-After", "3")
		armErr(w, http.StatusTooManyRequests, "SubscriptionRequestsThrottled", "Number of 'write' requests for subscription '"+testSub+
			"' actor 'admin' exceeded. Please try again after '3' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armErr(w, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	p := strings.ToLower(strings.TrimPrefix(r.URL.Path, "/subscriptions/"+testSub))
	seg := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case strings.HasPrefix(p, "/providers/microsoft.features/"):
		f.features(w, r, seg)
	case strings.HasPrefix(p, "/providers/microsoft.network/locations/"):
		f.serviceTags(w, r)
	case strings.HasPrefix(p, "/providers/microsoft.containerservice/locations/") && seg[len(seg)-1] == "kubernetesversions":
		f.kubernetesVersions(w, r)
	case strings.HasPrefix(p, "/providers/microsoft.containerservice/locations/"):
		f.operation(w, seg[len(seg)-1])
	case strings.Contains(p, "/providers/microsoft.containerservice/managedclusters"):
		f.cluster(w, r, seg, body)
	case strings.HasPrefix(p, "/resourcegroups"):
		f.group(w, r, seg, body)
	case strings.HasPrefix(p, "/providers"):
		f.provider(w, r, seg)
	default:
		armErr(w, 404, "NotFound", "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
	}
}

func (f *fakeARM) features(w http.ResponseWriter, r *http.Request, seg []string) {
	feat := readFixture(f.t, "feature.json")
	feat["properties"] = map[string]any{"state": f.featureState}
	last := seg[len(seg)-1]
	name := seg[len(seg)-2]
	if r.Method == http.MethodPost && f.unknownFeatures && name != "enableservicetagauthorizedippreview" {
		armErr(w, 404, "FeatureNotFound", "The feature '"+name+"' could not be found.")
		return
	}
	switch {
	case r.Method == http.MethodPost && last == "register":
		if f.featureState != "Registered" {
			f.featureState = "Registering"
		}
		feat["properties"] = map[string]any{"state": f.featureState}
		writeJSON(w, 200, feat)
	case r.Method == http.MethodPost && last == "unregister":
		f.featureState = "Unregistering"
		feat["properties"] = map[string]any{"state": f.featureState}
		writeJSON(w, 200, feat)
	case last == "features":
		writeJSON(w, 200, map[string]any{"value": []any{feat}})
	case last == "enableservicetagauthorizedippreview":
		writeJSON(w, 200, feat)
		if f.featureState == "Registering" {
			f.featureState = "Registered" // the next show sees it registered
		}
	default:
		armErr(w, 404, "FeatureNotFound", "The feature '"+last+"' could not be found.")
	}
}

func (f *fakeARM) provider(w http.ResponseWriter, r *http.Request, seg []string) {
	prov := readFixture(f.t, "provider.json")
	last := seg[len(seg)-1]
	switch {
	case r.Method == http.MethodPost && last == "register":
		f.providerSt = "Registering"
	case r.Method == http.MethodPost && last == "unregister":
		f.providerSt = "Unregistering"
	case len(seg) == 1:
		prov["registrationState"] = f.providerSt
		writeJSON(w, 200, map[string]any{"value": []any{prov}})
		return
	}
	prov["registrationState"] = f.providerSt
	writeJSON(w, 200, prov)
	switch f.providerSt { // the next read sees the end state
	case "Registering":
		f.providerSt = "Registered"
	case "Unregistering":
		f.providerSt = "Unregistered"
	}
}

func (f *fakeARM) group(w http.ResponseWriter, r *http.Request, seg []string, body []byte) {
	if len(seg) == 1 {
		vals := []any{}
		for _, g := range f.groups {
			vals = append(vals, g)
		}
		writeJSON(w, 200, map[string]any{"value": vals})
		return
	}
	name := seg[1]
	switch r.Method {
	case http.MethodPut:
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		g := readFixture(f.t, "group.json")
		g["location"] = in["location"]
		status := 201
		if _, ok := f.groups[name]; ok {
			status = 200
		}
		f.groups[name] = g
		writeJSON(w, status, g)
	case http.MethodGet:
		g, ok := f.groups[name]
		if !ok {
			armErr(w, 404, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", name))
			return
		}
		writeJSON(w, 200, g)
	case http.MethodDelete:
		delete(f.groups, name)
		f.startOp(w, 202)
	}
}

func (f *fakeARM) startOp(w http.ResponseWriter, status int) string {
	id := fmt.Sprintf("op%d", len(f.ops)+1)
	f.ops[id] = 1
	w.Header().Set("Azure-AsyncOperation", f.srv.URL+"/subscriptions/"+testSub+"/providers/Microsoft.ContainerService/locations/eastus/operations/"+id+"?api-version=2022-11-01")
	w.Header().Set("Retry-After", "0")
	if status == 202 {
		w.WriteHeader(202)
	}
	return id
}

func (f *fakeARM) operation(w http.ResponseWriter, id string) {
	left, ok := f.ops[id]
	if !ok {
		armErr(w, 404, "NotFound", "operation not found")
		return
	}
	switch {
	case left > 0:
		f.ops[id] = left - 1
		w.Header().Set("Retry-After", "0")
		writeJSON(w, 200, map[string]any{"name": id, "status": "InProgress", "startTime": "2026-01-01T00:00:00Z"})
	case f.failOps:
		writeJSON(w, 200, map[string]any{"name": id, "status": "Failed", "error": map[string]any{
			"code": "ResourceDeploymentFailure", "message": "The resource operation completed with terminal provisioning state 'Failed'."}})
	default:
		writeJSON(w, 200, map[string]any{"name": id, "status": "Succeeded", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:01Z"})
	}
}

func (f *fakeARM) cluster(w http.ResponseWriter, r *http.Request, seg []string, body []byte) {
	// seg: resourcegroups rg providers microsoft.containerservice managedclusters [name [op]]
	if seg[0] == "providers" || len(seg) == 5 {
		vals := []any{}
		for _, c := range f.clusters {
			vals = append(vals, c)
		}
		writeJSON(w, 200, map[string]any{"value": vals})
		return
	}
	rg, name := seg[1], seg[5]
	key := rg + "/" + name
	if len(seg) >= 7 {
		f.clusterChild(w, r, seg, key, body)
		return
	}
	switch r.Method {
	case http.MethodGet:
		c, ok := f.clusters[key]
		if !ok {
			armErr(w, 404, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.ContainerService/managedClusters/%s' under resource group '%s' was not found.", seg[5], seg[1]))
			return
		}
		writeJSON(w, 200, c)
	case http.MethodPut:
		f.putCluster(w, rg, key, body)
	case http.MethodDelete:
		delete(f.clusters, key)
		f.startOp(w, 202)
	}
}

func (f *fakeARM) putCluster(w http.ResponseWriter, rg, key string, body []byte) {
	if _, ok := f.groups[rg]; !ok {
		armErr(w, 404, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
		return
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	ranges := lookupPath(in, "properties.apiServerAccessProfile.authorizedIPRanges")
	if rs, _ := ranges.([]any); len(rs) > 1 {
		tags := 0
		for _, x := range rs {
			if s, _ := x.(string); !strings.ContainsAny(s, "/:") && strings.Count(s, ".") != 3 {
				tags++
			}
		}
		if tags > 1 { // AKS's top-level error shape, no "error" wrapper
			w.WriteHeader(400)
			fmt.Fprint(w, `{"code":"InvalidParameter","details":null,"message":"Only one service tag is allowed in apiServerAccessProfile.authorizedIPRanges.","subcode":""}`)
			return
		}
		for _, x := range rs {
			if x == "0.0.0.0/32" { // AKS's top-level error shape, no "error" wrapper
				w.WriteHeader(400)
				fmt.Fprint(w, `{"code":"InvalidParameter","details":null,"message":"Setting apiServerAuthorizedIPRange to 0.0.0.0/32 is not allowed with other IP ranges. Refer to https://aka.ms/aks/auth-ip-ranges for more details","subcode":""}`)
				return
			}
		}
	}
	c := readFixture(f.t, "cluster.json")
	props := c["properties"].(map[string]any)
	access := props["apiServerAccessProfile"].(map[string]any)
	if rs, _ := ranges.([]any); len(rs) > 0 {
		out := []any{}
		for _, x := range rs {
			s, _ := x.(string)
			if !strings.Contains(s, "/") && strings.Count(s, ".") == 3 {
				s += "/32"
			}
			out = append(out, s)
		}
		access["authorizedIPRanges"] = out
	} else {
		delete(access, "authorizedIPRanges")
	}
	if t, ok := in["tags"]; ok {
		c["tags"] = t
	}
	status := 201
	if _, ok := f.clusters[key]; ok {
		status = 200
	}
	f.clusters[key] = c
	f.startOp(w, 0)
	props = cloneMap(props)
	props["provisioningState"] = "Creating"
	resp := cloneMap(c)
	resp["properties"] = props
	writeJSON(w, status, resp)
}

func (f *fakeARM) credentials(w http.ResponseWriter, key, op string) {
	if _, ok := f.clusters[key]; !ok {
		armErr(w, 404, "ResourceNotFound", "The Resource 'Microsoft.ContainerService/managedClusters/"+key+"' was not found.")
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", "arm", "kubeconfig.yaml"))
	if err != nil {
		f.t.Error(err)
	}
	if op == "listclusteradmincredential" {
		b = []byte(strings.ReplaceAll(string(b), "clusterUser_", "clusterAdmin_"))
		if f.adminSuffixed {
			b = []byte(strings.ReplaceAll(string(b), "name: myAKSCluster\ncurrent-context: myAKSCluster", "name: myAKSCluster-admin\ncurrent-context: myAKSCluster-admin"))
		}
	}
	writeJSON(w, 200, map[string]any{"kubeconfigs": []any{map[string]any{"name": "clusterUser", "value": base64.StdEncoding.EncodeToString(b)}}})
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// serviceTags answers in two pages, as tagwall's server does for the real
// document: the first value, then the rest behind nextLink.
func (f *fakeARM) serviceTags(w http.ResponseWriter, r *http.Request) {
	doc := readFixture(f.t, "servicetags.json")
	vals := doc["values"].([]any)
	if r.URL.Query().Get("$skipToken") == "" {
		doc["values"] = vals[:1]
		doc["nextLink"] = f.srv.URL + r.URL.Path + "?api-version=2022-01-01&$skipToken=1"
	} else {
		doc["values"] = vals[1:]
	}
	writeJSON(w, 200, doc)
}
