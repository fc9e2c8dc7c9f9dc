package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestServiceTagsAdminCLI: `tagwall servicetags status|accept|pin|unpin`
// against a running API whose catalog holds a wedge document.
func TestServiceTagsAdminCLI(t *testing.T) {
	data, err := os.ReadFile(shared(t, "azure-public-2025-10-13.json"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := servicetag.Parse("pub", data)
	if err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(t.TempDir(), "feed.json")
	os.WriteFile(feed, data, 0o600)
	set, err := servicetag.NewSet(servicetag.SetConfig{Sources: []servicetag.SourceConfig{{Location: feed}}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_ = set.Load()
	if _, err := set.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad := *pub
	bad.ChangeNumber += 1000
	bad.Tags = nil
	for _, tg := range pub.Tags {
		if tg.Name != "AzureCloud" {
			bad.Tags = append(bad.Tags, tg)
		}
	}
	b, _ := servicetag.MarshalDownload(&bad)
	os.WriteFile(feed, b, 0o600)
	_, _ = set.Refresh(context.Background())

	h, err := api.New(api.Config{Store: memstore.New(), Catalog: set.Current, ServiceTags: set, Auth: api.StaticToken{Token: "admin-token"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv("TAGWALL_TOKEN", "admin-token")
	t.Setenv("TAGWALL_CONFIG", filepath.Join(t.TempDir(), "none.json"))
	admin := func(args ...string) servicetag.SetStatus {
		t.Helper()
		args = append(append([]string{"servicetags"}, args...), "--endpoint", srv.URL, "--subscription", "00000000-0000-0000-0000-000000000000")
		code, out, errs := tagwall(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errs)
		}
		var st servicetag.SetStatus
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("%v: %v in %s", args, err, out)
		}
		return st
	}
	st := admin("status")
	if st.Held() != 1 || st.ChangeNumber != pub.ChangeNumber {
		t.Fatalf("status: %+v", st)
	}
	if st = admin("accept", "--source", feed); st.Held() != 0 || st.ChangeNumber != bad.ChangeNumber {
		t.Fatalf("accept: %+v", st)
	}
	tag, _ := servicetag.NewCatalog(pub).Lookup("AzureCloud")
	if st = admin("pin", "AzureCloud", "--change-number", fmt.Sprint(tag.ChangeNumber)); len(st.Pins) != 1 {
		t.Fatalf("pin: %+v", st.Pins)
	}
	if _, ok := set.Current().Lookup("AzureCloud"); !ok {
		t.Fatal("pinned AzureCloud not in force")
	}
	if st = admin("unpin", "AzureCloud"); len(st.Pins) != 0 {
		t.Fatalf("unpin: %+v", st.Pins)
	}
	code, _, errs := tagwall(t, "servicetags", "unpin", "AzureCloud", "--endpoint", srv.URL, "--subscription", "00000000-0000-0000-0000-000000000000")
	if code == 0 || !strings.Contains(errs, "not pinned") {
		t.Fatalf("unpin twice: exit %d, stderr %q", code, errs)
	}
}
