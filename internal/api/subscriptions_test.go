package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestSubscriptionSourceAndTenants checks that GET /subscriptions and
// GET /tenants ask Config.SubscriptionSource on every call and show only
// what the principal may use.
func TestSubscriptionSourceAndTenants(t *testing.T) {
	const other = "99999999-1111-2222-3333-444444444444"
	subs := []api.Subscription{{ID: testSub, DisplayName: "one", TenantID: "t-1"}}
	h, err := api.New(api.Config{
		Store: memstore.New(),
		Auth:  scopedAuth{},
		SubscriptionSource: func(context.Context) ([]api.Subscription, error) {
			return subs, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(tb testing.TB, path, who string) (int, []map[string]any) {
		tb.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Value []map[string]any }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Value
	}
	subs = append(subs, api.Subscription{ID: other, DisplayName: "two", TenantID: "t-2"})
	tests := []struct {
		name, path, who string
		want            []string // the field below, in order
		field           string
	}{
		{name: "admin sees both subscriptions", path: "/subscriptions?api-version=2019-11-01", who: "admin", field: "subscriptionId", want: []string{testSub, other}},
		{name: "scoped sees its own", path: "/subscriptions?api-version=2019-11-01", who: "scoped", field: "subscriptionId", want: []string{other}},
		{name: "admin tenants", path: "/tenants?api-version=2019-11-01", who: "admin", field: "tenantId", want: []string{"t-1", "t-2"}},
		{name: "scoped tenants", path: "/tenants?api-version=2019-11-01", who: "scoped", field: "tenantId", want: []string{"t-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, vals := get(t, tt.path, tt.who)
			if code != http.StatusOK || len(vals) != len(tt.want) {
				t.Fatalf("status %d, values %v; want 200 and %v", code, vals, tt.want)
			}
			for i, v := range vals {
				if v[tt.field] != tt.want[i] {
					t.Errorf("value %d: %s = %v, want %s", i, tt.field, v[tt.field], tt.want[i])
				}
			}
		})
	}
}

// scopedAuth takes the bearer token as the principal's name: "admin" may
// use every subscription, anyone else only the second one.
type scopedAuth struct{}

func (scopedAuth) Authenticate(r *http.Request) (api.Principal, error) {
	name := r.Header.Get("Authorization")[len("Bearer "):]
	if name == "admin" {
		return api.Principal{Name: name, AllSubscriptions: true}, nil
	}
	return api.Principal{Name: name, Subscriptions: []string{"99999999-1111-2222-3333-444444444444"}}, nil
}
