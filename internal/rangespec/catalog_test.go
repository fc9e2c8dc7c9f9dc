package rangespec_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/testutil"
)

// realCatalog loads the published Azure Public document from the shared
// test data (never copied into the repo). Missing data is a failure: CI
// must always run these tests.
func realCatalog(tb testing.TB) *servicetag.Catalog {
	tb.Helper()
	path := testutil.ServiceTags(tb, testutil.PublicTags)
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("service-tag test data missing: %v", err)
	}
	doc, err := servicetag.Parse(path, data)
	if err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	return servicetag.NewCatalog(doc)
}

var _ rangespec.TagIndex = (*servicetag.Catalog)(nil)

func TestRealCatalog(t *testing.T) {
	cat := realCatalog(t)
	opt := rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: true, Tags: cat}
	tests := []struct {
		name string
		in   string
		want string // Strings() joined with ","; or
		err  string // a substring of the first error
	}{
		{name: "doc example", in: "AzureCloud,20.20.20.20", want: "AzureCloud,20.20.20.20/32"},
		{name: "regional lower case", in: "azurecloud.EASTUS", want: "AzureCloud.eastus"},
		{name: "regional exception spelling", in: "AzureCloud.centralfrance", want: "AzureCloud.centralfrance"},
		{name: "pascal-case region", in: "storage.westus", want: "Storage.WestUS"},
		{name: "typo suggests", in: "AzureClod", err: `did you mean "AzureCloud"`},
		{name: "regional typo suggests", in: "AzureCloud.estus", err: `"AzureCloud.eastus"`},
		{name: "two tags", in: "AzureCloud,Storage", err: "only one service tag is allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := rangespec.ParseString(tt.in, opt)
			if tt.err != "" {
				first := rangespec.FirstError(err)
				if first == nil || !strings.Contains(first.Message, tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(spec.Strings(), ","); got != tt.want {
				t.Errorf("Strings() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRealCatalogEveryName checks that every published name resolves to
// itself in any case and is tag-shaped (not mistaken for an address).
func TestRealCatalogEveryName(t *testing.T) {
	cat := realCatalog(t)
	opt := rangespec.Options{Mode: rangespec.ModeStandalone, Tags: cat}
	for _, name := range cat.TagNames() {
		spec, err := rangespec.ParseString(strings.ToUpper(name), opt)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := spec.Entries[0].Tag; got != name {
			t.Errorf("%s resolved to %q", name, got)
		}
	}
	_, err := rangespec.ParseString("NoSuchTagAnywhere", opt)
	if !errors.Is(err, rangespec.ErrUnknownTag) {
		t.Errorf("unknown name: %v", err)
	}
}
