package routecompile_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/controller"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store/memstore"
	"github.com/tagwall/tagwall/internal/testutil"
)

// testLists are the authorizedIPRanges lists of the controller, gwconfig,
// server, api and cmd tests, as a user writes them (nil: disabled).
var testLists = [][]string{
	nil,
	{"0.0.0.0/32"},
	{"20.20.20.20/32"},
	{"20.20.20.20"},
	{"AzureCloud", "30.30.30.30/32"},
	{"Storage", "20.20.20.20/32"},
	{"AzureCloud"},
	{"AzureCloud", "20.20.20.20"},
	{"azurecloud", "20.20.20.20"},
	{"10.0.0.0/8", "AzureCloud.westeurope", "Storage.WestEurope"},
	{"AzureCloud", "Storage"},
	{"AzureCloud", "AzureCloud.eastus"},
	{"20.0.1.0/24"},
	{"10.0.0.0/8"},
	{"AzureCloud", "2603:1000::/40", "20.20.20.20/32"},
}

var docCache sync.Map

// realDoc parses a real document from ../shared (once per test binary).
func realDoc(tb testing.TB, name string) *servicetag.Document {
	tb.Helper()
	if d, ok := docCache.Load(name); ok {
		return d.(*servicetag.Document)
	}
	data, err := os.ReadFile(testutil.ServiceTags(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := servicetag.Parse(name, data)
	if err != nil {
		tb.Fatal(err)
	}
	docCache.Store(name, doc)
	return doc
}

// without returns a copy of doc lacking the named tags (a vanishing feed).
func without(doc *servicetag.Document, names ...string) *servicetag.Document {
	out := *doc
	out.ChangeNumber++
	out.Tags = nil
	for _, t := range doc.Tags {
		drop := false
		for _, n := range names {
			drop = drop || strings.EqualFold(t.Name, n)
		}
		if !drop {
			out.Tags = append(out.Tags, t)
		}
	}
	return &out
}

// docSource serves one document to a Set.
type docSource struct {
	name string
	data []byte
}

func (d docSource) String() string                              { return d.name }
func (d docSource) Fetch(context.Context) ([]byte, bool, error) { return d.data, false, nil }

// setCatalog is the catalog both modes compile against: a servicetag.Set
// with one source per document, in order (the one multi-source rule), as
// serve's internal/server and the gateway's gwconfig.Runner build it.
func setCatalog(tb testing.TB, docs []*servicetag.Document) *servicetag.Catalog {
	tb.Helper()
	var srcs []servicetag.SourceConfig
	for i, d := range docs {
		data, err := servicetag.MarshalDownload(d)
		if err != nil {
			tb.Fatal(err)
		}
		name := fmt.Sprintf("source%d", i)
		srcs = append(srcs, servicetag.SourceConfig{Location: name, Source: docSource{name, data}})
	}
	set, err := servicetag.NewSet(servicetag.SetConfig{Sources: srcs, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = set.Load()
	if _, err := set.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return set.Current()
}

// serveMode runs a real controller over a memstore.
type serveMode struct {
	st     *memstore.Store
	ctrl   *controller.Controller
	cat    atomic.Pointer[servicetag.Catalog]
	mu     sync.Mutex
	routes map[string]controller.Route // by SNI
}

func startServe(t *testing.T, cat *servicetag.Catalog) *serveMode {
	t.Helper()
	s := &serveMode{st: memstore.New(), routes: map[string]controller.Route{}}
	s.cat.Store(cat)
	var err error
	s.ctrl, err = controller.New(controller.Config{Store: s.st, Catalog: s.cat.Load, Apply: func(rs []controller.Route) {
		s.mu.Lock()
		defer s.mu.Unlock()
		clear(s.routes)
		for _, r := range rs {
			s.routes[r.SNI] = r
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.ctrl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// put stores a cluster with the list as the API would store it and waits
// for its route.
func (s *serveMode) put(t *testing.T, i int, stored []string) {
	t.Helper()
	mc := state.ManagedCluster{Subscription: "00000000-1111-2222-3333-444444444444", ResourceGroup: "rg",
		Name: fmt.Sprintf("c%d", i), Location: "eastus", FQDN: sni(i), ProvisioningState: state.Creating, Generation: 1}
	mc.Access.AuthorizedIPRanges = stored
	b, _ := state.Encode(mc)
	rev, err := s.st.Create(context.Background(), mc.Key(), b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ctrl.WaitApplied(ctx, rev); err != nil {
		t.Fatal(err)
	}
}

func (s *serveMode) route(i int) controller.Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.routes[sni(i)]
}

func sni(i int) string { return fmt.Sprintf("r%d.test", i) }

// stored normalises a list as the API stores it (ModeServer), or, for
// lists only the standalone gateway accepts, as rangespec.ModeStandalone
// normalises them.
func stored(tb testing.TB, list []string, ix rangespec.TagIndex) []string {
	tb.Helper()
	if len(list) == 0 {
		return nil
	}
	spec, err := rangespec.ParseList(list, rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: true, Tags: ix})
	if err != nil {
		spec, err = rangespec.ParseList(list, rangespec.Options{Mode: rangespec.ModeStandalone, Tags: ix})
	}
	if err != nil {
		tb.Fatalf("list %q: %v", list, err)
	}
	return spec.Strings()
}

// gatewayYAML is a standalone config with one route per list.
func gatewayYAML(lists [][]string) string {
	var b strings.Builder
	b.WriteString("listen: 127.0.0.1:1\nroutes:\n")
	for i, l := range lists {
		fmt.Fprintf(&b, "  - sni: %s\n    upstream: 127.0.0.1:2\n", sni(i))
		if len(l) == 0 {
			b.WriteString("    allowAll: true\n")
			continue
		}
		fmt.Fprintf(&b, "    authorizedIPRanges: [%s]\n", strings.Join(l, ", "))
	}
	return b.String()
}

// TestDifferential: for every list of the tests and the real documents,
// `serve`'s controller and the standalone gateway's gwconfig compile the
// same allowlist (equal dumps) from the catalog a servicetag.Set puts in
// force (both modes now read the one Set), before and after tags vanish
// from the data, and agree on which lists are degraded; and the Set's
// first-source-wins merge admits, for every tag a list names, exactly the
// first defining document's prefixes.
func TestDifferential(t *testing.T) {
	pub := realDoc(t, testutil.PublicTags)
	scenarios := []struct {
		name   string
		docs   []*servicetag.Document
		lists  [][]string
		vanish []*servicetag.Document // then: the data without some tags
	}{
		{name: "public", docs: []*servicetag.Document{pub}, lists: testLists,
			vanish: []*servicetag.Document{without(pub, "AzureCloud", "AzureCloud.westeurope")}},
		{name: "public then china", docs: []*servicetag.Document{pub, realDoc(t, "azure-china-2026-07-13.json")},
			lists: append([][]string{{"10.0.0.0/8", "AzureCloud.westeurope", "Storage.WestEurope", "AzureCloud.chinaeast2"}}, testLists...)},
		{name: "germany then china", docs: []*servicetag.Document{realDoc(t, "azure-germany-2022-03-07.json"), realDoc(t, "azure-china-2026-07-13.json")},
			lists: [][]string{{"AzureCloud"}, {"AzureCloud", "AzureCloud.chinaeast2", "20.20.20.20"}}},
		{name: "older public", docs: []*servicetag.Document{realDoc(t, "azure-public-2025-10-06.json")}, lists: testLists},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			merged := setCatalog(t, sc.docs)
			srv := startServe(t, merged)
			for i, l := range sc.lists {
				srv.put(t, i, stored(t, l, merged))
			}
			cfg, err := gwconfig.Parse("diff.yaml", []byte(gatewayYAML(sc.lists)))
			if err != nil {
				t.Fatal(err)
			}
			var cache gwconfig.TagCache
			routes, err := cfg.Compile(merged, &cache)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, srv, routes, sc.lists)
			firstWins(t, merged, sc.docs, sc.lists)
			tagged := 0
			for _, r := range routes {
				if strings.Contains(r.Allow.String(), "tag AzureCloud") {
					tagged++
				}
			}
			if tagged == 0 {
				t.Fatal("no list references AzureCloud: the comparison is vacuous")
			}
			if sc.vanish == nil {
				return
			}
			vanished := setCatalog(t, sc.vanish)
			srv.cat.Store(vanished)
			srv.ctrl.CatalogChanged()
			routes, notes, err := cfg.CompileNotes(vanished, &cache)
			if err != nil {
				t.Fatal(err)
			}
			waitDegraded(t, srv, cache.Stats().Degraded)
			t.Logf("after the vanish: %v", cache.Stats())
			compare(t, srv, routes, sc.lists)
			for i, l := range sc.lists {
				want := strings.Join(notes[sni(i)], "; ")
				if got := srv.status(t, i, want); got.Message != want || got.Degraded != (want != "") {
					t.Errorf("list %q: serve says %+v, gateway says %q", l, got, want)
				}
			}
		})
	}
}

func compare(t *testing.T, srv *serveMode, routes []gateway.Route, lists [][]string) {
	t.Helper()
	for i, l := range lists {
		c, g := srv.route(i).Allow.String(), routes[i].Allow.String()
		if c != g {
			t.Errorf("list %q: serve and gateway compile different allowlists:\nserve:\n%s\ngateway:\n%s", l, c, g)
		}
	}
}

func waitDegraded(t *testing.T, srv *serveMode, want int) {
	t.Helper()
	if want == 0 {
		t.Fatal("nothing degraded after tags vanished")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.ctrl.CompileStats().Degraded != want {
		if time.Now().After(deadline) {
			t.Fatalf("serve degraded %v, gateway %d", srv.ctrl.CompileStats(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// status returns cluster i's stored status once its message is want (the
// controller writes it after applying the route), or the last one seen.
func (s *serveMode) status(t *testing.T, i int, want string) state.ClusterStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		kv, err := s.st.Get(context.Background(), state.ClusterKey("00000000-1111-2222-3333-444444444444", "rg", fmt.Sprintf("c%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		var mc state.ManagedCluster
		if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
			t.Fatal(err)
		}
		if mc.Status.Message == want || time.Now().After(deadline) {
			return mc.Status
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// firstWins checks that every tag a list names resolves, in the merged
// catalog, to the first document (in order) that defines it.
func firstWins(t *testing.T, merged *servicetag.Catalog, docs []*servicetag.Document, lists [][]string) {
	t.Helper()
	for _, l := range lists {
		for _, e := range l {
			got, ok := merged.Lookup(e)
			if !ok {
				continue // an address
			}
			for _, d := range docs {
				want, ok := servicetag.NewCatalog(d).Lookup(e)
				if !ok {
					continue
				}
				if want.ChangeNumber != got.ChangeNumber || !slices.Equal(want.Prefixes, got.Prefixes) {
					t.Errorf("tag %s: merged catalog has changeNumber %d, the first defining document %d", e, got.ChangeNumber, want.ChangeNumber)
				}
				break
			}
		}
	}
}
