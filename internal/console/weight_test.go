package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/console"
)

// manyClusters is a ClusterSource of n clusters, each with the real
// AzureCloud tag and 199 own CIDRs.
type manyClusters struct{ cs []console.Cluster }

func (m manyClusters) Clusters(context.Context, []string) ([]console.Cluster, error) {
	return m.cs, nil
}

// TestPageWeightAtScale: 2,000 clusters with 200 entries each keep the
// clusters table (paged) and a cluster page under the 200 KB budget, with
// a full hour of decisions and a full refusal ring.
func TestPageWeightAtScale(t *testing.T) {
	cur, _ := catalogs(t)
	tag, _ := cur.Lookup("AzureCloud")
	ts := allowlist.NewTagSet(tag.Name, tag.ChangeNumber, tag.Prefixes)
	rec := console.NewRecorder(console.RecorderConfig{})
	now := time.Now()
	var src manyClusters
	ranges := []string{"AzureCloud"}
	var lb allowlist.Builder
	lb.AddTag(ts, "AzureCloud")
	for j := range 199 {
		ranges = append(ranges, fmt.Sprintf("20.%d.%d.0/24", j/250, j%250))
		lb.AddPrefix(netip.MustParsePrefix(ranges[len(ranges)-1]), ranges[len(ranges)-1])
	}
	allow, err := lb.Build()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		name := fmt.Sprintf("cluster-%04d", i)
		src.cs = append(src.cs, console.Cluster{Subscription: subA, ResourceGroup: "rg-scale", Name: name, Location: "westeurope",
			State: "Succeeded", Ranges: ranges, Allow: allow, Route: name, SNI: name + ".westeurope.hcp.tagwall.local"})
	}
	for m := range 60 {
		for k := range 40 {
			rec.Record("cluster-0007", netipOf(k), false, "not-authorized", now.Add(-time.Duration(m)*time.Minute))
		}
	}
	ui, err := console.New(console.Config{Auth: console.StaticToken{Token: adminToken}, Clusters: src, Recorder: rec,
		Tags: tagSource{cur: cur}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(ui)
	t.Cleanup(srv.Close)
	b := (&env{srv: srv}).browser(t)
	b.signInAdmin()
	for _, path := range []string{"/ui/clusters", "/ui/clusters?sort=refused&dir=desc&page=20", "/ui/clusters/" + subA + "/rg-scale/cluster-0007",
		"/ui/check", "/ui/tags?q=a"} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		if len(p.body) > viewBudget {
			t.Errorf("%s weighs %d bytes, budget %d", path, len(p.body), viewBudget)
		}
		t.Logf("%s: %d bytes", path, len(p.body))
	}
	if p := b.get("/ui/clusters"); !strings.Contains(p.body, "page 1 of 20") || !strings.Contains(p.body, "and 196 more") {
		t.Errorf("clusters table not paged")
	}
}

func netipOf(k int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(k)}) }
