package arm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/store"
)

func TestParseResourceID(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "cluster", in: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
			want: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"},
		{name: "group", in: "/SUBSCRIPTIONS/s/resourceGroups/rg", want: "/subscriptions/s/resourceGroups/rg"},
		{name: "subscription provider", in: "/subscriptions/s/providers/Microsoft.Network/locations/eastus/serviceTags/public",
			want: "/subscriptions/s/providers/Microsoft.Network/locations/eastus/serviceTags/public"},
		{name: "subscription", in: "/subscriptions/s", want: "/subscriptions/s"},
		{name: "no subscription", in: "/resourceGroups/rg", err: "want /subscriptions/{id}"},
		{name: "type without name", in: "/subscriptions/s/providers/ns/type", err: "has no name"},
		{name: "group without name", in: "/subscriptions/s/resourceGroups", err: "resource group name missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseResourceID(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || id.String() != tt.want {
				t.Fatalf("got %q %v, want %q", id.String(), err, tt.want)
			}
			again, err := ParseResourceID(id.String())
			if err != nil || again.String() != id.String() {
				t.Fatalf("round trip: %q %v", again.String(), err)
			}
		})
	}
}

func FuzzParseResourceID(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c") // cluster
	f.Add("/subscriptions/s")                                                                          // subscription only
	f.Add("subscriptions//resourceGroups/")                                                            // empty segments
	f.Add("/subscriptions/s/providers/a/b/c/d/e")                                                      // odd nesting
	f.Fuzz(func(t *testing.T, in string) {
		id, err := ParseResourceID(in)
		if err != nil {
			return
		}
		again, err := ParseResourceID(id.String())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", id.String(), err)
		}
		if again.String() != id.String() {
			t.Fatalf("round trip %q → %q", id.String(), again.String())
		}
	})
}

func TestTranslate(t *testing.T) {
	re1 := &rangespec.Error{Index: 1, Entry: "x", Code: "InvalidParameter", Message: "first"}
	re2 := &rangespec.Error{Index: -1, Code: "InvalidParameter", Message: "second"}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{name: "arm error", err: ResourceGroupNotFound("rg"), status: 404, code: "ResourceGroupNotFound"},
		{name: "wrapped arm error", err: fmt.Errorf("x: %w", ErrInvalidToken), status: 401, code: "InvalidAuthenticationToken"},
		{name: "range errors", err: errors.Join(re1, re2), status: 400, code: "InvalidParameter"},
		{name: "conflict", err: store.ErrConflict, status: 409, code: "Conflict"},
		{name: "not found", err: store.ErrNotFound, status: 404, code: "NotFound"},
		{name: "unknown", err: errors.New("disk on fire"), status: 500, code: "InternalServerError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Translate(tt.err)
			if got.Status != tt.status || got.Code != tt.code {
				t.Fatalf("got %d %s", got.Status, got.Code)
			}
		})
	}
	got := Translate(errors.Join(re1, re2))
	if got.Message != "first" || len(got.Details) != 1 || got.Details[0].Message != "second" || got.Target != "properties.apiServerAccessProfile.authorizedIPRanges[1]" {
		t.Fatalf("joined range errors: %+v", got)
	}
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/x", nil), slog.New(slog.DiscardHandler), errors.New("secret detail"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("internal error leaked: %d %s", rec.Code, rec.Body)
	}
}

func TestCheckAPIVersion(t *testing.T) {
	tests := []struct {
		name, query, code string
	}{
		{name: "ok", query: "?api-version=2021-07-01"},
		{name: "missing", query: "", code: "MissingApiVersionParameter"},
		{name: "unsupported", query: "?api-version=2001-01-01", code: "InvalidApiVersionParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckAPIVersion(httptest.NewRequest(http.MethodGet, "/x"+tt.query, nil), FeaturesVersions)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Status != 400 {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestIsSubscriptionID(t *testing.T) {
	for in, want := range map[string]bool{
		"00000000-1111-2222-3333-444444444444": true, "0000000-1111-2222-3333-4444444444445": false,
		"g0000000-1111-2222-3333-444444444444": false, "": false,
	} {
		if IsSubscriptionID(in) != want {
			t.Errorf("IsSubscriptionID(%q) != %v", in, want)
		}
	}
}
