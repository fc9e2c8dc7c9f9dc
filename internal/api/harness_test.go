package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/testutil"
)

const (
	testToken = "test-token-0123456789"
	testSub   = "00000000-1111-2222-3333-444444444444"
)

var (
	catalogOnce sync.Once
	catalogVal  *servicetag.Catalog
	catalogErr  error
)

// publicCatalog loads the real Azure Public document once.
func publicCatalog(tb testing.TB) *servicetag.Catalog {
	tb.Helper()
	path := testutil.ServiceTags(tb, testutil.PublicTags)
	catalogOnce.Do(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			catalogErr = err
			return
		}
		doc, err := servicetag.Parse(path, data)
		if err != nil {
			catalogErr = err
			return
		}
		catalogVal = servicetag.NewCatalog(doc)
	})
	if catalogErr != nil {
		tb.Fatalf("load service tags (the shared testdata must be present): %v", catalogErr)
	}
	return catalogVal
}

// env is a handler + controller over one store, served over TLS.
type env struct {
	store   store.Store
	srv     *httptest.Server
	ctrl    *controller.Controller
	cancel  context.CancelFunc
	done    chan struct{}
	routes  atomic.Pointer[[]controller.Route]
	applies atomic.Int64
	catalog atomic.Pointer[servicetag.Catalog]
}

type envOpts struct {
	store        store.Store
	featureDelay time.Duration
	noCatalog    bool
	noController bool
	configure    func(*api.Config) // adjusts the handler's config (quotas, locations)
	opRetention  time.Duration     // controller.Config.OperationRetention
}

func newEnv(tb testing.TB, o envOpts) *env {
	tb.Helper()
	e := &env{store: o.store}
	if e.store == nil {
		e.store = memstore.New()
	}
	if !o.noCatalog {
		e.catalog.Store(publicCatalog(tb))
	}
	catalog := func() *servicetag.Catalog { return e.catalog.Load() }
	if o.featureDelay == 0 {
		o.featureDelay = 300 * time.Millisecond
	}
	cfg := api.Config{
		Store: e.store, Catalog: catalog, Auth: api.StaticToken{Token: testToken}, FeatureDelay: o.featureDelay,
		DNSSuffix: "hcp.tagwall.test",
		Kubeconfig: func(_ context.Context, c *state.ManagedCluster, _ api.Credential) ([]byte, error) {
			return []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: " + c.Name + "\n  cluster:\n    server: https://" + c.FQDN + ":443\n"), nil
		},
		Subscriptions: []api.Subscription{{ID: testSub, DisplayName: "tagwall-sub", TenantID: "tenant"}},
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	e.ctrl, err = controller.New(controller.Config{Store: e.store, Catalog: catalog, Apply: func(r []controller.Route) {
		e.routes.Store(&r)
		e.applies.Add(1)
	}, OperationRetention: o.opRetention})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	if o.noController {
		close(e.done)
	} else {
		go func() { defer close(e.done); _ = e.ctrl.Run(ctx) }()
	}
	e.srv = httptest.NewTLSServer(h)
	tb.Cleanup(e.stop)
	return e
}

// stop ends the server and the controller (the store stays open).
func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.cancel()
	<-e.done
	e.srv = nil
}

func (e *env) route(sni string) (controller.Route, bool) {
	p := e.routes.Load()
	if p == nil {
		return controller.Route{}, false
	}
	for _, r := range *p {
		if r.SNI == sni {
			return r, true
		}
	}
	return controller.Route{}, false
}

// clientOptions points an SDK client at the test server.
func (e *env) clientOptions() *azarm.ClientOptions {
	return testutil.SDKOptions(e.srv.URL, e.srv.Client())
}

// do sends a raw request with the token.
func (e *env) do(tb testing.TB, method, path, body string, hdr ...string) *http.Response {
	tb.Helper()
	return e.doToken(tb, "Bearer "+testToken, method, path, body, hdr...)
}

func (e *env) doToken(tb testing.TB, auth, method, path, body string, hdr ...string) *http.Response {
	tb.Helper()
	var rd *stringsReader
	if body != "" {
		rd = newReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd.orNil())
	if err != nil {
		tb.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return resp
}
