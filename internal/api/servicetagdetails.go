package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/servicetag"
)

func (s *server) registerServiceTagDetails() {
	s.add(http.MethodGet, "subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/serviceTagDetails",
		arm.ServiceTagsVersions, s.listServiceTagDetails)
}

// serviceTagInformation is Microsoft.Network's ServiceTagInformation.
type serviceTagInformation struct {
	Name                   string                  `json:"name"`
	ID                     string                  `json:"id"`
	ServiceTagChangeNumber string                  `json:"serviceTagChangeNumber"`
	Properties             serviceTagInfoPropsBody `json:"properties"`
}

type serviceTagInfoPropsBody struct {
	ChangeNumber    string   `json:"changeNumber"`
	Region          string   `json:"region"`
	SystemService   string   `json:"systemService"`
	AddressPrefixes []string `json:"addressPrefixes,omitempty"`
	State           string   `json:"state"`
}

// listServiceTagDetails is ServiceTagInformation_List over the catalog in
// force: tagName keeps the one tag of that name (case-insensitive),
// noAddressPrefixes=true leaves the prefixes out, and pages of
// ServiceTagPageSize tags follow nextLink ($skipToken).
func (s *server) listServiceTagDetails(c *call) error {
	pageSize := s.cfg.ServiceTagPageSize
	if pageSize <= 0 {
		pageSize = DefaultServiceTagPageSize
	}
	cat := s.cfg.Catalog()
	if cat == nil || cat.Document() == nil {
		return arm.Errorf(http.StatusServiceUnavailable, "ServiceTagsUnavailable", "No service-tag data is loaded on this server.")
	}
	doc := cat.Document()
	q := c.r.URL.Query()
	noPrefixes, _ := strconv.ParseBool(q.Get("noAddressPrefixes"))
	name := q.Get("tagName")
	start := 0
	if tok := q.Get("$skipToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return arm.Errorf(http.StatusBadRequest, "InvalidSkipToken", "The skip token '%s' is invalid.", arm.Printable(tok))
		}
		start = n
	}
	out := struct {
		Value    []serviceTagInformation `json:"value"`
		NextLink *string                 `json:"nextLink,omitempty"`
	}{Value: []serviceTagInformation{}}
	i := start
	for ; i < len(doc.Tags) && len(out.Value) < pageSize; i++ {
		t := &doc.Tags[i]
		if name != "" && !strings.EqualFold(t.Name, name) {
			continue
		}
		out.Value = append(out.Value, tagInformation(t, noPrefixes))
	}
	if i < len(doc.Tags) && name == "" {
		next := arm.BaseURL(c.r) + c.r.URL.Path + "?api-version=" + url.QueryEscape(c.apiVersion) + "&$skipToken=" + strconv.Itoa(i)
		if noPrefixes {
			next += "&noAddressPrefixes=true"
		}
		out.NextLink = &next
	}
	arm.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// tagInformation is one tag as ServiceTagInformation (a resource of its
// own shape: state, no regionId, platform or networkFeatures; the
// serviceTags discovery body is servicetag.MarshalDiscovery's).
func tagInformation(t *servicetag.Tag, noPrefixes bool) serviceTagInformation {
	cn := strconv.FormatInt(t.ChangeNumber, 10)
	info := serviceTagInformation{Name: t.Name, ID: t.ID, ServiceTagChangeNumber: cn,
		Properties: serviceTagInfoPropsBody{ChangeNumber: cn, Region: t.Region, SystemService: t.SystemService, State: "GA"}}
	if !noPrefixes {
		info.Properties.AddressPrefixes = make([]string, len(t.Prefixes))
		for i, p := range t.Prefixes {
			info.Properties.AddressPrefixes[i] = p.String()
		}
	}
	return info
}
