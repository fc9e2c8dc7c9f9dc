package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/servicetag"
)

type serviceTagsBody struct {
	Name         string            `json:"name"`
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	ChangeNumber string            `json:"changeNumber"`
	Cloud        string            `json:"cloud"`
	Values       []serviceTagValue `json:"values"`
	NextLink     *string           `json:"nextLink"`
}

type serviceTagValue struct {
	Name                   string               `json:"name"`
	ID                     string               `json:"id"`
	ServiceTagChangeNumber string               `json:"serviceTagChangeNumber"`
	Properties             serviceTagProperties `json:"properties"`
}

type serviceTagProperties struct {
	ChangeNumber    string   `json:"changeNumber"`
	Region          string   `json:"region"`
	RegionID        int      `json:"regionId"`
	Platform        string   `json:"platform"`
	SystemService   string   `json:"systemService"`
	AddressPrefixes []string `json:"addressPrefixes"`
	NetworkFeatures []string `json:"networkFeatures"`
}

// listServiceTags serves the Service Tag Discovery API over the catalog in
// force, ServiceTagPageSize tags a page; nextLink carries the changeNumber
// so a page from another version is refused rather than mixed.
func (s *server) listServiceTags(c *call) error {
	cat := s.cfg.Catalog()
	if cat == nil || cat.Document() == nil {
		return arm.Errorf(http.StatusServiceUnavailable, "ServiceTagsUnavailable", "No service-tag data is loaded on this server.")
	}
	doc := servicetag.AzureOnly(cat.Document()) // the discovery API stays Azure's: other clouds' feeds are left out
	cn := strconv.FormatInt(doc.ChangeNumber, 10)
	q := c.r.URL.Query()
	start := 0
	if tok := q.Get("$skipToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return arm.Errorf(http.StatusBadRequest, "InvalidSkipToken", "The skip token '%s' is invalid.", tok)
		}
		if got := q.Get("changenumber"); got != "" && got != cn {
			return arm.Errorf(http.StatusConflict, "ServiceTagsChanged",
				"The service tags changed from changeNumber '%s' to '%s' while paging; list again.", got, cn)
		}
		start = n
	}
	end := min(start+s.cfg.ServiceTagPageSize, len(doc.Tags))
	start = min(start, end)
	out := serviceTagsBody{
		Name: strings.ToLower(doc.Cloud), ID: "/subscriptions/" + c.v("sub") + "/providers/Microsoft.Network/serviceTags/" + strings.ToLower(doc.Cloud),
		Type: "Microsoft.Network/serviceTags", ChangeNumber: cn, Cloud: doc.Cloud, Values: make([]serviceTagValue, 0, end-start),
	}
	for i := start; i < end; i++ {
		out.Values = append(out.Values, tagValue(&doc.Tags[i]))
	}
	if end < len(doc.Tags) {
		next := arm.BaseURL(c.r) + c.r.URL.Path + "?api-version=" + url.QueryEscape(c.apiVersion) +
			"&changenumber=" + cn + "&$skipToken=" + strconv.Itoa(end)
		out.NextLink = &next
	}
	arm.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

func tagValue(t *servicetag.Tag) serviceTagValue {
	cn := strconv.FormatInt(t.ChangeNumber, 10)
	prefixes := make([]string, len(t.Prefixes))
	for i, p := range t.Prefixes {
		prefixes[i] = p.String()
	}
	nf := t.NetworkFeatures
	if nf == nil {
		nf = []string{}
	}
	return serviceTagValue{Name: t.Name, ID: t.ID, ServiceTagChangeNumber: cn, Properties: serviceTagProperties{
		ChangeNumber: cn, Region: t.Region, RegionID: t.RegionID, Platform: t.Platform, SystemService: t.SystemService,
		AddressPrefixes: prefixes, NetworkFeatures: nf}}
}
