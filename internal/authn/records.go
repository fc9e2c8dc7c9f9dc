package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/store"
)

// Key prefixes in the store.
const (
	prefix              = "authn/"
	principalsPrefix    = prefix + "serviceprincipals/"
	subscriptionsPrefix = prefix + "subscriptions/"
)

// Errors callers branch on.
var (
	// ErrPrincipalNotFound is returned when no service principal has the
	// client id.
	ErrPrincipalNotFound = errors.New("service principal not found")
	// ErrSubscriptionNotFound is returned when a subscription id is unknown.
	ErrSubscriptionNotFound = errors.New("subscription not found")
	// ErrSubscriptionExists is returned when creating a subscription whose
	// id is taken.
	ErrSubscriptionExists = errors.New("subscription already exists")
)

// ServicePrincipal is a stored client: its id, name and which
// subscriptions it may use. The secret is kept only as a salted hash.
type ServicePrincipal struct {
	ClientID         string    `json:"clientId"`
	DisplayName      string    `json:"displayName"`
	AllSubscriptions bool      `json:"allSubscriptions,omitempty"`
	Subscriptions    []string  `json:"subscriptions,omitempty"`
	SecretSalt       string    `json:"secretSalt"`
	SecretHash       string    `json:"secretHash"`
	Created          time.Time `json:"created"`
}

// Subscription is a stored subscription.
type Subscription struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName"`
	TenantID    string    `json:"tenantId"`
	Created     time.Time `json:"created"`
}

func principalKey(clientID string) string { return principalsPrefix + strings.ToLower(clientID) }
func subscriptionKey(id string) string    { return subscriptionsPrefix + strings.ToLower(id) }
func encode(v any) ([]byte, error)        { return json.Marshal(v) }
func decode(key string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

// getPrincipal reads one service principal.
func getPrincipal(ctx context.Context, st store.Store, clientID string) (ServicePrincipal, error) {
	var sp ServicePrincipal
	key := principalKey(clientID)
	kv, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return sp, fmt.Errorf("get service principal %q: %w", clientID, ErrPrincipalNotFound)
	}
	if err != nil {
		return sp, fmt.Errorf("get service principal %q: %w", clientID, err)
	}
	return sp, decode(key, kv.Value, &sp)
}

func putPrincipal(ctx context.Context, st store.Store, sp ServicePrincipal) error {
	b, err := encode(sp)
	if err == nil {
		_, err = st.Put(ctx, principalKey(sp.ClientID), b)
	}
	if err != nil {
		return fmt.Errorf("put service principal %q: %w", sp.ClientID, err)
	}
	return nil
}

// listRecords decodes every record under prefix into a new T.
func listRecords[T any](ctx context.Context, st store.Store, pfx string) ([]T, error) {
	kvs, _, err := st.List(ctx, pfx)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", pfx, err)
	}
	out := make([]T, 0, len(kvs))
	for _, kv := range kvs {
		var v T
		if err := decode(kv.Key, kv.Value, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func getSubscription(ctx context.Context, st store.Store, id string) (Subscription, error) {
	var s Subscription
	key := subscriptionKey(id)
	kv, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return s, fmt.Errorf("get subscription %q: %w", id, ErrSubscriptionNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("get subscription %q: %w", id, err)
	}
	return s, decode(key, kv.Value, &s)
}

func sortSubscriptions(subs []Subscription) {
	sort.Slice(subs, func(i, j int) bool {
		if !subs[i].Created.Equal(subs[j].Created) {
			return subs[i].Created.Before(subs[j].Created)
		}
		return subs[i].ID < subs[j].ID
	})
}
