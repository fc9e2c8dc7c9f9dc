package arm

import (
	"fmt"
	"strings"
)

// ResourceID is a parsed ARM resource ID such as
// /subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}.
// Types and Names pair up: Types[i] is the type segment of Names[i] (a
// nested resource has several). Fields keep the caller's casing.
type ResourceID struct {
	SubscriptionID string
	ResourceGroup  string // "" for subscription-level resources
	Namespace      string // "" for a resource group itself
	Types          []string
	Names          []string
}

// ParseResourceID parses id. Segment keywords (subscriptions,
// resourceGroups, providers) match case-insensitively.
func ParseResourceID(id string) (ResourceID, error) {
	var out ResourceID
	segs := strings.Split(strings.Trim(id, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") || segs[1] == "" {
		return out, fmt.Errorf("parse resource id %q: want /subscriptions/{id}/{...}", id)
	}
	out.SubscriptionID = segs[1]
	segs = segs[2:]
	if len(segs) >= 2 && strings.EqualFold(segs[0], "resourceGroups") {
		if segs[1] == "" {
			return out, fmt.Errorf("parse resource id %q: empty resource group", id)
		}
		out.ResourceGroup = segs[1]
		segs = segs[2:]
	} else if len(segs) == 1 && strings.EqualFold(segs[0], "resourceGroups") {
		return out, fmt.Errorf("parse resource id %q: resource group name missing", id)
	}
	if len(segs) == 0 {
		return out, nil
	}
	if !strings.EqualFold(segs[0], "providers") || len(segs) < 2 || segs[1] == "" {
		return out, fmt.Errorf("parse resource id %q: want providers/{namespace}", id)
	}
	out.Namespace = segs[1]
	segs = segs[2:]
	if len(segs)%2 != 0 {
		return out, fmt.Errorf("parse resource id %q: type %q has no name", id, segs[len(segs)-1])
	}
	for i := 0; i < len(segs); i += 2 {
		if segs[i] == "" || segs[i+1] == "" {
			return out, fmt.Errorf("parse resource id %q: empty segment", id)
		}
		out.Types = append(out.Types, segs[i])
		out.Names = append(out.Names, segs[i+1])
	}
	return out, nil
}

// String formats the ID in ARM's canonical casing of the keywords.
func (r ResourceID) String() string {
	var b strings.Builder
	b.WriteString("/subscriptions/")
	b.WriteString(r.SubscriptionID)
	if r.ResourceGroup != "" {
		b.WriteString("/resourceGroups/")
		b.WriteString(r.ResourceGroup)
	}
	if r.Namespace != "" {
		b.WriteString("/providers/")
		b.WriteString(r.Namespace)
		for i := range r.Types {
			b.WriteString("/" + r.Types[i] + "/" + r.Names[i])
		}
	}
	return b.String()
}

// ManagedClusterID returns the ID of a managed cluster.
func ManagedClusterID(sub, rg, name string) string {
	return ResourceID{SubscriptionID: sub, ResourceGroup: rg, Namespace: "Microsoft.ContainerService",
		Types: []string{"managedClusters"}, Names: []string{name}}.String()
}

// ResourceGroupID returns the ID of a resource group.
func ResourceGroupID(sub, rg string) string {
	return ResourceID{SubscriptionID: sub, ResourceGroup: rg}.String()
}

// IsSubscriptionID reports whether s is a well-formed subscription GUID.
func IsSubscriptionID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
