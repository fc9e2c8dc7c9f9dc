package servicetag

import (
	"path/filepath"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// TestParseRealDocuments checks every Azure file against the counts in
// SOURCES.md.
func TestParseRealDocuments(t *testing.T) {
	tests := []struct {
		name, file, cloud string
		changeNumber      int64
		tags, prefixes    int
		azureCloud        [3]int // v4, v6, changeNumber
		regional          string
		regionalCounts    [3]int
		emptyTags         int
	}{
		{"public 2019 old layout", "azure-public-2019-07-22.json", "Public", 82, 756, 14574, [3]int{2609, 0, 67}, "AzureCloud.eastus", [3]int{118, 0, 16}, 4},
		{"public 2025-09-08 crlf", "azure-public-2025-09-08.json", "Public", 370, 3002, 91597, [3]int{9426, 3450, 269}, "AzureCloud.eastus", [3]int{460, 56, 182}, 0},
		{"public 2025-10-06", "azure-public-2025-10-06.json", "Public", 372, 3039, 92929, [3]int{9478, 3483, 271}, "AzureCloud.eastus", [3]int{461, 56, 183}, 0},
		{"public 2025-10-13", "azure-public-2025-10-13.json", "Public", 373, 3039, 93311, [3]int{9572, 3490, 272}, "AzureCloud.eastus", [3]int{471, 56, 184}, 0},
		{"gov 2026-03-23 crlf", "azure-government-2026-03-23.json", "AzureGovernment", 390, 328, 6458, [3]int{406, 139, 121}, "AzureCloud.usgovvirginia", [3]int{96, 26, 66}, 0},
		{"gov 2026-05-04", "azure-government-2026-05-04.json", "AzureGovernment", 391, 299, 6452, [3]int{432, 163, 122}, "AzureCloud.usgovvirginia", [3]int{102, 32, 67}, 0},
		{"gov 2026-07-06", "azure-government-2026-07-06.json", "AzureGovernment", 400, 299, 6589, [3]int{441, 163, 126}, "AzureCloud.usgovvirginia", [3]int{104, 32, 69}, 0},
		{"gov 2026-07-13", "azure-government-2026-07-13.json", "AzureGovernment", 401, 299, 6589, [3]int{441, 163, 126}, "AzureCloud.usgovvirginia", [3]int{104, 32, 69}, 0},
		{"china", "azure-china-2026-07-13.json", "China", 404, 327, 4398, [3]int{245, 104, 112}, "AzureCloud.chinaeast2", [3]int{41, 19, 38}, 0},
		{"germany crlf", "azure-germany-2022-03-07.json", "AzureGermany", 193, 79, 372, [3]int{38, 2, 10}, "AzureCloud.germanycentral", [3]int{21, 1, 9}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sharedDoc(t, tt.file)
			if doc.Cloud != tt.cloud || doc.ChangeNumber != tt.changeNumber || doc.Format != FormatDownload {
				t.Errorf("got %s format %v, want %s changeNumber %d download", doc, doc.Format, tt.cloud, tt.changeNumber)
			}
			if len(doc.Tags) != tt.tags || doc.PrefixCount() != tt.prefixes {
				t.Errorf("got %d tags, %d prefixes; want %d, %d", len(doc.Tags), doc.PrefixCount(), tt.tags, tt.prefixes)
			}
			cat := NewCatalog(doc)
			checkTagCounts(t, cat, "AzureCloud", tt.azureCloud)
			checkTagCounts(t, cat, tt.regional, tt.regionalCounts)
			empty := 0
			for i := range doc.Tags {
				if len(doc.Tags[i].Prefixes) == 0 {
					empty++
				}
			}
			if empty != tt.emptyTags {
				t.Errorf("got %d tags with no prefixes, want %d", empty, tt.emptyTags)
			}
		})
	}
}

func checkTagCounts(t *testing.T, cat *Catalog, name string, want [3]int) {
	t.Helper()
	tag, ok := cat.Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", name)
	}
	v4, v6 := tag.PrefixCount()
	if got := [3]int{v4, v6, int(tag.ChangeNumber)}; got != want {
		t.Errorf("%s v4/v6/changeNumber = %v, want %v", name, got, want)
	}
}

// TestParseAllAzureFiles makes sure no Azure file is left untested.
func TestParseAllAzureFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testutil.ServiceTagsDir(t), "azure-*"))
	if err != nil || len(files) < 12 {
		t.Fatalf("glob shared azure files: %d files, %v (shared test data missing?)", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			if name == "azure-discovery-api-example-ServiceTagInformationListResult-2023-09-01.json" {
				// The serviceTagDetails list names no cloud and no changeNumber.
				if doc, err := Parse(name, sharedFile(t, name)); err == nil {
					t.Fatalf("Parse accepted a list with no cloud: %s", doc)
				}
				return
			}
			if doc := sharedDoc(t, name); len(doc.Tags) == 0 {
				t.Fatalf("%s has no tags", name)
			}
		})
	}
}

func TestParseDiscoveryExample(t *testing.T) {
	const file = "azure-discovery-api-example-ServiceTagsList-2023-09-01.json"
	data := sharedFile(t, file)
	doc := sharedDoc(t, file)
	if doc.Format != FormatDiscovery || doc.Cloud != "Public" || doc.ChangeNumber != 63 || len(doc.Tags) != 5 {
		t.Fatalf("got %s format %v", doc, doc.Format)
	}
	tag := doc.Tags[1]
	if tag.Name != "ApiManagement.AustraliaCentral" || tag.ChangeNumber != 2 || tag.Region != "australiacentral" ||
		len(tag.Prefixes) != 2 || tag.Prefixes[1].String() != "20.36.107.176/28" {
		t.Errorf("tag 1 = %+v", tag)
	}
	if got := NextLink(data); got == "" || got[:8] != "https://" {
		t.Errorf("NextLink = %q", got)
	}
}
