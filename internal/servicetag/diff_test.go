package servicetag

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestDiffRealPairs checks the measured pairs in SOURCES.md.
func TestDiffRealPairs(t *testing.T) {
	tests := []struct {
		name, old, new          string
		added, removed, changed int
		plus, minus             int
		wantAdded, wantRemoved  string // one name that must be listed
	}{
		{"public 09-08 to 10-06", "azure-public-2025-09-08.json", "azure-public-2025-10-06.json", 37, 0, 273, 1253, 116, "ActionGroup.BelgiumCentral", ""},
		{"public 10-06 to 10-13", "azure-public-2025-10-06.json", "azure-public-2025-10-13.json", 0, 0, 111, 487, 105, "", ""},
		{"gov 03-23 to 05-04", "azure-government-2026-03-23.json", "azure-government-2026-05-04.json", 3, 32, 13, 117, 10, "", "AzureCloud.usgoviowa"},
		{"gov 07-06 to 07-13", "azure-government-2026-07-06.json", "azure-government-2026-07-13.json", 0, 0, 0, 0, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := sharedDoc(t, tt.old), sharedDoc(t, tt.new)
			d := Diff(old, new)
			plus, minus := d.PrefixCounts()
			got := [5]int{len(d.Added), len(d.Removed), len(d.Changed), plus, minus}
			if want := [5]int{tt.added, tt.removed, tt.changed, tt.plus, tt.minus}; got != want {
				t.Errorf("added, removed, changed, +prefixes, -prefixes = %v, want %v", got, want)
			}
			if d.OldChangeNumber != old.ChangeNumber || d.NewChangeNumber != new.ChangeNumber {
				t.Errorf("change numbers %d → %d", d.OldChangeNumber, d.NewChangeNumber)
			}
			if d.IsEmpty() != (tt.changed+tt.added+tt.removed == 0) {
				t.Errorf("IsEmpty = %v", d.IsEmpty())
			}
			if tt.wantAdded != "" && !slices.Contains(d.Added, tt.wantAdded) {
				t.Errorf("Added lacks %q", tt.wantAdded)
			}
			if tt.wantRemoved != "" && !slices.Contains(d.Removed, tt.wantRemoved) {
				t.Errorf("Removed lacks %q", tt.wantRemoved)
			}
			checkDiffSorted(t, d)
			// A tag's own changeNumber went up exactly when its prefixes changed.
			for _, c := range d.Changed {
				if c.NewChangeNumber <= c.OldChangeNumber {
					t.Errorf("%s changed but changeNumber %d → %d", c.Name, c.OldChangeNumber, c.NewChangeNumber)
				}
			}
			if back := Diff(new, old); len(back.Added) != tt.removed || len(back.Removed) != tt.added || len(back.Changed) != tt.changed {
				t.Errorf("reverse diff is not the mirror image: %d/%d/%d", len(back.Added), len(back.Removed), len(back.Changed))
			}
		})
	}
}

func checkDiffSorted(t *testing.T, d DiffResult) {
	t.Helper()
	if !slices.IsSorted(d.Added) || !slices.IsSorted(d.Removed) ||
		!slices.IsSortedFunc(d.Changed, func(a, b TagDiff) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("diff not sorted")
	}
	for _, c := range d.Changed {
		if !slices.IsSortedFunc(c.AddedPrefixes, comparePrefix) || !slices.IsSortedFunc(c.RemovedPrefixes, comparePrefix) {
			t.Errorf("%s: prefixes not sorted", c.Name)
		}
	}
}

func TestDiffSmall(t *testing.T) {
	p := netip.MustParsePrefix
	old := &Document{ChangeNumber: 1, Tags: []Tag{
		{Name: "Keep", ChangeNumber: 1, Prefixes: []netip.Prefix{p("1.0.0.0/8"), p("2.0.0.0/8")}},
		{Name: "Gone", Prefixes: []netip.Prefix{p("3.0.0.0/8")}},
		{Name: "Moves", ChangeNumber: 4, Prefixes: []netip.Prefix{p("4.0.0.0/8"), p("2001:db8::/32")}},
	}}
	new := &Document{ChangeNumber: 2, Tags: []Tag{
		{Name: "New", Prefixes: []netip.Prefix{p("5.0.0.0/8")}},
		{Name: "keep", ChangeNumber: 1, Prefixes: []netip.Prefix{p("2.0.0.0/8"), p("1.0.0.0/8"), p("1.0.0.0/8")}},
		{Name: "Moves", ChangeNumber: 5, Prefixes: []netip.Prefix{p("2001:db8::/32"), p("4.0.0.0/9"), p("6.0.0.0/8")}},
	}}
	want := DiffResult{
		OldChangeNumber: 1, NewChangeNumber: 2,
		Added: []string{"New"}, Removed: []string{"Gone"},
		Changed: []TagDiff{{Name: "Moves", OldChangeNumber: 4, NewChangeNumber: 5,
			AddedPrefixes: []netip.Prefix{p("4.0.0.0/9"), p("6.0.0.0/8")}, RemovedPrefixes: []netip.Prefix{p("4.0.0.0/8")}}},
	}
	got := Diff(old, new)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff =\n%+v\nwant\n%+v", got, want)
	}
	js, err := json.Marshal(Diff(nil, nil))
	if err != nil || string(js) != `{"oldChangeNumber":0,"newChangeNumber":0,"added":[],"removed":[],"changed":[]}` {
		t.Errorf("empty diff JSON = %s, %v", js, err)
	}
}
