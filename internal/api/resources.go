package api

import (
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerResources() {
	v := arm.ResourcesVersions
	s.add(http.MethodGet, "subscriptions/{sub}/resources", v, s.listResources)
	s.add(http.MethodGet, "subscriptions/{sub}/resourceGroups/{rg}/resources", v, s.listResources)
}

// listResources answers GET /subscriptions/{sub}/resources and
// …/resourceGroups/{rg}/resources (az resource list): every managed
// cluster as a GenericResourceExpanded, the only resources inside groups
// tagwall holds. $filter takes the terms az builds (azure-cli resource
// custom.py _list_resources_odata_filter_builder): "resourceGroup eq '…'",
// "name eq '…'", "location eq '…'", "resourceType eq '…'" and "tagName eq
// '…' [and tagValue eq '…']", joined with "and"; $expand's createdTime,
// changedTime and provisioningState are filled in.
func (s *server) listResources(c *call) error {
	match, err := parseResourceFilter(c.r.URL.Query().Get("$filter"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	err = s.eachCluster(c, func(mc *state.ManagedCluster, _ int64) {
		if !match(resourceFields{typ: clusterType, name: mc.Name, group: mc.ResourceGroup, location: mc.Location}, mc.Tags) {
			return
		}
		r := map[string]any{
			"id": arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name), "name": mc.Name,
			"type": clusterType, "location": mc.Location, "identity": map[string]any{"type": mc.IdentityType,
				"principalId": mc.PrincipalID, "tenantId": mc.TenantID},
		}
		if mc.Tags != nil {
			r["tags"] = mc.Tags
		}
		if len(mc.SKU) > 0 && string(mc.SKU) != "null" {
			r["sku"] = mc.SKU
		}
		expand := strings.ToLower(c.r.URL.Query().Get("$expand"))
		if strings.Contains(expand, "createdtime") {
			r["createdTime"] = mc.CreatedAt
		}
		if strings.Contains(expand, "changedtime") {
			r["changedTime"] = mc.UpdatedAt
		}
		if strings.Contains(expand, "provisioningstate") {
			r["provisioningState"] = mc.ProvisioningState
		}
		out = append(out, r)
	})
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// resourceFields are the fields a $filter compares.
type resourceFields struct{ typ, name, group, location string }

// resourceMatch reports whether a resource passes a $filter.
type resourceMatch func(f resourceFields, tags map[string]string) bool

// parseResourceFilter parses the $filter terms az resource list sends.
func parseResourceFilter(f string) (resourceMatch, error) {
	var typ, name, group, location, tagName, tagValue *string
	if strings.TrimSpace(f) != "" {
		for _, term := range splitAnd(f) {
			field, val, ok := eqTerm(term)
			if !ok {
				return nil, arm.Errorf(http.StatusBadRequest, "InvalidFilterInQueryString",
					"Invalid $filter '%s': tagwall takes resourceGroup, name, location, resourceType, tagName and tagValue with eq, joined with and.", arm.Printable(f))
			}
			switch strings.ToLower(field) {
			case "resourcetype":
				typ = &val
			case "name":
				name = &val
			case "resourcegroup":
				group = &val
			case "location":
				location = &val
			case "tagname":
				tagName = &val
			case "tagvalue":
				tagValue = &val
			default:
				return nil, arm.Errorf(http.StatusBadRequest, "InvalidFilterInQueryString",
					"Invalid $filter '%s': tagwall takes resourceGroup, name, location, resourceType, tagName and tagValue with eq, joined with and.", arm.Printable(f))
			}
		}
	}
	eq := func(want *string, got string) bool { return want == nil || strings.EqualFold(*want, got) }
	return func(f resourceFields, tags map[string]string) bool {
		if !eq(typ, f.typ) || !eq(name, f.name) || !eq(group, f.group) || !eq(location, f.location) {
			return false
		}
		if tagName != nil {
			v, ok := tags[*tagName]
			if !ok || tagValue != nil && v != *tagValue {
				return false
			}
		}
		return true
	}, nil
}

func splitAnd(f string) []string {
	var out []string
	for _, p := range strings.Split(f, " and ") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// eqTerm splits "field eq 'value'".
func eqTerm(t string) (field, value string, ok bool) {
	field, rest, found := strings.Cut(t, " eq ")
	rest = strings.TrimSpace(rest)
	if !found || len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", "", false
	}
	return strings.TrimSpace(field), strings.ReplaceAll(rest[1:len(rest)-1], "''", "'"), true
}
