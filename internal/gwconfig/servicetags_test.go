package gwconfig

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// offlineHTTP sends every service-tag request to a closed loopback port
// (testutil.OfflineClient).
func offlineHTTP(tb testing.TB) servicetag.HTTPOptions {
	tb.Helper()
	return servicetag.HTTPOptions{Client: testutil.OfflineClient(tb)}
}

// TestNoSourcesUsesEmbeddedSnapshot: a file with no serviceTags whose
// route names AzureCloud gets the Azure Public defaults; offline, the
// embedded snapshot is in force and says so.
func TestNoSourcesUsesEmbeddedSnapshot(t *testing.T) {
	c, err := Parse("x.yaml", []byte("listen: 127.0.0.1:0\nroutes: [{sni: a.test, upstream: 127.0.0.1:1, authorizedIPRanges: [AzureCloud, 20.20.20.20]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	gw, _ := gateway.New(gateway.Config{})
	r := NewRunner("x.yaml", gw, RunnerOptions{Log: slog.New(slog.NewTextHandler(logs, nil)), CacheDir: t.TempDir(), HTTP: offlineHTTP(t)})
	t.Cleanup(r.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	st := r.Status()
	if len(st.Sources) != 1 || st.Sources[0].Origin != servicetag.OriginEmbedded || !strings.HasPrefix(st.Sources[0].InForce, "embedded snapshot, changeNumber ") {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(logs.String(), "embedded snapshot, changeNumber") {
		t.Errorf("log does not say the embedded snapshot is in force:\n%s", logs.String())
	}
	routes := gw.Routes()
	if len(routes) != 1 || routes[0].Prefixes < 10000 {
		t.Fatalf("routes %+v", routes)
	}
	// A file of addresses only needs no service tags: no Set, no fetch.
	plain, _ := Parse("y.yaml", []byte("listen: 127.0.0.1:0\nroutes: [{upstream: 127.0.0.1:1, authorizedIPRanges: [20.20.20.20, 10.0.0.0/8]}]\n"))
	if plain.NeedsServiceTags() {
		t.Error("addresses only: NeedsServiceTags")
	}
}

// TestReloadRestartWarningComparesValues: revokeExisting: true written in
// the file is not a change at every reload; revokeExisting and
// auditAllowed apply live (an admitted connection is audited at once);
// a change that needs a restart is named.
func TestReloadRestartWarningComparesValues(t *testing.T) {
	up := tlsUpstream(t)
	yaml := "revokeExisting: true\n" + configYAML(up, "20.20.20.20")
	rn := startRunner(t, yaml, false)
	writeFile(t, rn.path, yaml+"\n")
	if err := rn.r.Reload(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rn.log.String(), "restart to apply") {
		t.Fatalf("unchanged keys reported as changed:\n%s", rn.log.String())
	}
	writeFile(t, rn.path, "revokeExisting: false\nauditAllowed: true\n"+configYAML(up, "20.20.20.20"))
	if err := rn.r.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rn.log.String(), "restart to apply") {
		t.Fatalf("live keys reported as needing a restart:\n%s", rn.log.String())
	}
	if !admitted(rn.addr, alice) {
		t.Fatal("alice refused")
	}
	waitLog(t, rn, `"msg":"allowed"`)
	writeFile(t, rn.path, "dialTimeout: 3s\nrevokeExisting: false\nauditAllowed: true\n"+configYAML(up, "20.20.20.20"))
	if err := rn.r.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rn.log.String(), "dialTimeout changed: restart to apply them") {
		t.Fatalf("changed key not named:\n%s", rn.log.String())
	}
}

// TestDiscoverySourceWithTokenFile: a discovery-API source is read with
// the bearer token of tokenFile (re-read at each fetch).
func TestDiscoverySourceWithTokenFile(t *testing.T) {
	pub := catalog(t, "azure-public-2025-10-13.json")
	body, err := servicetag.MarshalDiscovery(pub.Document(), servicetag.DiscoveryOptions{SubscriptionID: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/subscriptions/sub/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2024-05-01"
	c, err := Parse("x.yaml", []byte("listen: 127.0.0.1:0\nserviceTags: [{source: '"+url+"', tokenFile: token}]\n"+
		"routes: [{sni: a.test, upstream: 127.0.0.1:1, authorizedIPRanges: [AzureCloud]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Dir = dir
	gw, _ := gateway.New(gateway.Config{})
	r := NewRunner(filepath.Join(dir, "x.yaml"), gw, RunnerOptions{CacheDir: t.TempDir()})
	t.Cleanup(r.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(); st.ChangeNumber != pub.Document().ChangeNumber || st.Sources[0].Origin != servicetag.OriginLive {
		t.Fatalf("status %+v", st)
	}
}
