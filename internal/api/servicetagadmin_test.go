package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// TestServiceTagAdmin drives status, accept, pin and unpin through the
// API over a real Set whose file feed turns into the wedge document (no
// AzureCloud, changeNumber inflated): it is held, shown, accepted; a pin
// brings AzureCloud's old version back; only an administrator may do it.
func TestServiceTagAdmin(t *testing.T) {
	pub := publicCatalog(t).Document()
	feed := filepath.Join(t.TempDir(), "tags.json")
	write := func(d *servicetag.Document) {
		b, err := servicetag.MarshalDownload(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(feed, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(pub)
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
	write(&bad)
	if _, err := set.Refresh(context.Background()); err == nil {
		t.Fatal("wedge document not held")
	}
	e := newEnv(t, envOpts{configure: func(c *api.Config) { c.ServiceTags = set; c.Auth = scopedAuth{} }})
	const v = "?api-version=2026-12-01"
	call := func(who, method, path, body string, want int) servicetag.SetStatus {
		t.Helper()
		resp := e.doToken(t, "Bearer "+who, method, api.ServiceTagAdminPath+path+v, body)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		var st servicetag.SetStatus
		_ = json.Unmarshal(b, &st)
		return st
	}
	call("someone", http.MethodGet, "", "", http.StatusForbidden)
	st := call("admin", http.MethodGet, "", "", http.StatusOK)
	if st.ChangeNumber != pub.ChangeNumber || st.Held() != 1 || st.Sources[0].Held.ChangeNumber != bad.ChangeNumber {
		t.Fatalf("status %+v", st)
	}
	call("admin", http.MethodPost, "/accept", `{"source":"nope"}`, http.StatusNotFound)
	st = call("admin", http.MethodPost, "/accept", `{}`, http.StatusOK)
	if st.ChangeNumber != bad.ChangeNumber || st.Held() != 0 {
		t.Fatalf("after accept %+v", st)
	}
	call("admin", http.MethodPost, "/accept", `{}`, http.StatusConflict) // nothing held now
	tag, _ := publicCatalog(t).Lookup("AzureCloud")
	call("admin", http.MethodPut, "/pins/AzureCloud", `{"changeNumber":999999}`, http.StatusConflict)
	st = call("admin", http.MethodPut, "/pins/AzureCloud", fmt.Sprintf(`{"changeNumber":%d}`, tag.ChangeNumber), http.StatusOK)
	if len(st.Pins) != 1 || st.Pins[0].Tag != "AzureCloud" {
		t.Fatalf("pins %+v", st.Pins)
	}
	if _, ok := set.Current().Lookup("AzureCloud"); !ok {
		t.Fatal("pinned AzureCloud not in the catalog")
	}
	st = call("admin", http.MethodDelete, "/pins/AzureCloud", "", http.StatusOK)
	call("admin", http.MethodDelete, "/pins/AzureCloud", "", http.StatusNotFound)
	if len(st.Pins) != 0 || !strings.Contains(st.Sources[0].InForce, "accepted") {
		t.Fatalf("after unpin %+v", st)
	}
}
