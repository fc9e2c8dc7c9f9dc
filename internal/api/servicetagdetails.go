package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
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
	for ; i < len(doc.Tags) && len(out.Value) < s.cfg.ServiceTagPageSize; i++ {
		t := tagValue(&doc.Tags[i])
		if name != "" && !strings.EqualFold(t.Name, name) {
			continue
		}
		info := serviceTagInformation{Name: t.Name, ID: t.ID, ServiceTagChangeNumber: t.ServiceTagChangeNumber,
			Properties: serviceTagInfoPropsBody{ChangeNumber: t.Properties.ChangeNumber, Region: t.Properties.Region,
				SystemService: t.Properties.SystemService, AddressPrefixes: t.Properties.AddressPrefixes, State: "GA"}}
		if noPrefixes {
			info.Properties.AddressPrefixes = nil
		}
		out.Value = append(out.Value, info)
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
