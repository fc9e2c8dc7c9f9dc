package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

const externalFeaturePath = "providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableExternalServiceTagsPreview"

// TestServeFeedsOffline: serve --feeds github,aws on a machine without
// network has GitHub.Actions in force from the embedded snapshot (AWS has
// none until a fetch), beside Azure's default source; a cluster may name
// GitHub.Actions once EnableExternalServiceTagsPreview is in force, and the
// front door then admits a GitHub Actions address and refuses another.
func TestServeFeedsOffline(t *testing.T) {
	logs := &testutil.SyncBuffer{}
	cfg := bareConfig(t, t.TempDir(), logs)
	cfg.Feeds = []servicetag.Feed{servicetag.FeedGitHub, servicetag.FeedAWS}
	m := start(t, cfg)
	st := m.tags.Status()
	if len(st.Sources) != 3 || st.Sources[0].Source != servicetag.PublicDownloadPage || st.Sources[1].Source != "https://api.github.com/meta" ||
		st.Sources[1].Origin != servicetag.OriginEmbedded || st.Sources[2].Source != "https://ip-ranges.amazonaws.com/ip-ranges.json" || st.Sources[2].Tags != 0 {
		t.Fatalf("sources: %+v", st.Sources)
	}
	cat := m.Catalog()
	if tag, ok := cat.Lookup("GitHub.Actions"); !ok || tag.Platform != "GitHub" {
		t.Fatalf("GitHub.Actions not in force: %v", ok)
	}
	if _, ok := cat.Lookup("AzureCloud"); !ok {
		t.Fatal("AzureCloud not in force beside the feeds")
	}

	s := newSeed(t, m)
	if code, body := call(t, s.http, http.MethodPost, s.url(externalFeaturePath+"/register", "2021-07-01"), m.Token(), nil); code != 200 {
		t.Fatalf("register EnableExternalServiceTagsPreview: %d %v", code, body)
	}
	eventually(t, 10*time.Second, "feature Registered", func() error {
		_, body := call(t, s.http, http.MethodGet, s.url(externalFeaturePath, "2021-07-01"), m.Token(), nil)
		if st := body["properties"].(map[string]any)["state"]; st != "Registered" {
			return errorf("%v", st)
		}
		return nil
	})
	s.registerProvider(t)
	s.createGroup(t)
	mc, err := s.put(t, clusterSpec("GitHub.Actions"))
	if err != nil {
		t.Fatalf("create with GitHub.Actions: %v", err)
	}
	_, _, caPEM, _ := parseKubeconfig(t, s.kubeconfig(t))
	version := strings.TrimPrefix(*mc.Properties.KubernetesVersion, "v")
	for _, c := range []struct {
		addr    string
		allowed bool
	}{{"4.148.0.1", true}, {"8.8.8.8", false}} {
		body, err := frontDoorGet(m.GatewayAddr(), c.addr, *mc.Properties.Fqdn, caPEM, "/version")
		checkAccess(t, c.addr, c.allowed, version, body, err)
	}
}
