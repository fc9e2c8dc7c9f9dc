package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

func TestPageSourceFindsJSONLink(t *testing.T) {
	const link = "https://download.microsoft.com/download/7/1/d/71d86715-5596-4529-9b13-da13a5de5b63/ServiceTags_Public_20251013.json"
	tests := []struct {
		name    string
		page    string
		status  int
		want    string
		wantErr string
	}{
		{name: "link in an anchor", status: 200, want: link,
			page: `<html><a href="` + link + `" class="mscom-link">Download</a> <a href="https://download.microsoft.com/download/x/other.zip">zip</a></html>`},
		{name: "link in script json", status: 200, want: link, page: `{"url":"` + link + `","size":4106571}`},
		{name: "no link", status: 200, page: "<html>moved</html>", wantErr: "no ServiceTags JSON link"},
		{name: "error status", status: 503, page: "busy", wantErr: "status 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.page)
			}))
			defer srv.Close()
			p := &pageSource{page: srv.URL + "/en-us/download/details.aspx?id=56519", client: srv.Client()}
			got, err := p.findLink(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestIsDownloadPage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "official page", in: AzurePublicDownloadPage, want: true},
		{name: "json url", in: "https://example.test/ServiceTags_Public.json", want: false},
		{name: "file", in: "/srv/download/details.aspx", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isDownloadPage(tt.in); got != tt.want {
				t.Fatalf("isDownloadPage(%q) = %v", tt.in, got)
			}
		})
	}
}

// TestCatalogsMerge: with several sources the catalog in force holds the
// tags of all, the first source winning on a name both have.
func TestCatalogsMerge(t *testing.T) {
	germany := testutil.ServiceTags(t, germanyTags)
	china := testutil.ServiceTags(t, "azure-china-2026-07-13.json")
	changes := 0
	c, err := newCatalogs([]string{germany, china}, filepath.Join(t.TempDir(), "cache"), func() { changes++ })
	if err != nil {
		t.Fatal(err)
	}
	if c.Current() != nil {
		t.Fatal("catalog before any refresh")
	}
	for _, k := range c.keepers {
		if _, err := k.Refresh(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	cat := c.Current()
	if cat == nil || changes != 2 {
		t.Fatalf("catalog %v after %d changes", cat, changes)
	}
	doc := cat.Document()
	if doc.Cloud != "AzureGermany+China" || doc.ChangeNumber != 193+404 {
		t.Fatalf("merged cloud %q changeNumber %d", doc.Cloud, doc.ChangeNumber)
	}
	ac, ok := cat.Lookup("AzureCloud")
	if !ok {
		t.Fatal("no AzureCloud")
	}
	if v4, _ := ac.PrefixCount(); v4 != 38 {
		t.Fatalf("AzureCloud has %d v4 prefixes, want Germany's 38 (first source wins)", v4)
	}
	if _, ok := cat.Lookup("AzureCloud.chinaeast2"); !ok {
		t.Fatal("China's regional tag missing from the merge")
	}
	if _, ok := cat.Lookup("AzureCloud.germanycentral"); !ok {
		t.Fatal("Germany's regional tag missing from the merge")
	}
}
