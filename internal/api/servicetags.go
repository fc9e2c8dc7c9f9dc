package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// maxServiceTagTop bounds $top, so a page number cannot overflow.
const maxServiceTagTop = 100000

// listServiceTags serves the Service Tag Discovery API over the catalog in
// force, encoded by servicetag.MarshalDiscovery (the one encoder of that
// body). By default the whole document is answered at once with nextLink
// null, as Azure does: the Azure SDKs (armnetwork ServiceTagsClient.List)
// and az make one call and never follow nextLink. A client that wants pages
// asks with $top=N (1…100000): it gets N tags from $skipToken (a tag index,
// default 0; $skip is a synonym) and a nextLink that repeats $top, carries
// the next $skipToken and the changeNumber, so a page from another version
// is refused (409 ServiceTagsChanged) rather than mixed.
func (s *server) listServiceTags(c *call) error {
	cat := s.cfg.Catalog()
	if cat == nil || cat.Document() == nil {
		return arm.Errorf(http.StatusServiceUnavailable, "ServiceTagsUnavailable", "No service-tag data is loaded on this server.")
	}
	doc := servicetag.AzureOnly(cat.Document()) // the discovery API stays Azure's: other clouds' feeds are left out
	cn := strconv.FormatInt(doc.ChangeNumber, 10)
	q := c.r.URL.Query()
	top, err := queryInt(q, "$top", 1, maxServiceTagTop)
	if err != nil {
		return err
	}
	skip, err := skipToken(q)
	if err != nil {
		return err
	}
	if got := q.Get("changenumber"); got != "" && got != cn {
		return arm.Errorf(http.StatusConflict, "ServiceTagsChanged",
			"The service tags changed from changeNumber '%s' to '%s' while paging; list again.", got, cn)
	}
	body, err := servicetag.MarshalDiscovery(doc, servicetag.DiscoveryOptions{
		SubscriptionID: c.v("sub"), Skip: skip, Top: top,
		NextLink: func(next int) string {
			return arm.BaseURL(c.r) + c.r.URL.Path + "?api-version=" + url.QueryEscape(c.apiVersion) +
				"&changenumber=" + cn + "&$top=" + strconv.Itoa(top) + "&$skipToken=" + strconv.Itoa(next)
		},
	})
	if err != nil {
		return err // logged in full by writeError, a generic 500 for the client
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
	return nil
}

// skipToken reads the page start: $skipToken, or its synonym $skip.
func skipToken(q url.Values) (int, error) {
	name := "$skipToken"
	if q.Get(name) == "" {
		name = "$skip"
	}
	tok := q.Get(name)
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(tok)
	if err != nil || n < 0 {
		return 0, arm.Errorf(http.StatusBadRequest, "InvalidSkipToken", "The skip token '%s' is invalid.", tok)
	}
	return n, nil
}

// queryInt reads an optional integer query parameter in [lo, hi]; absent
// is 0.
func queryInt(q url.Values, name string, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, arm.Errorf(http.StatusBadRequest, "InvalidParameter",
			"The value '%s' of the query parameter '%s' is invalid: it must be an integer from %d to %d.", v, name, lo, hi)
	}
	return n, nil
}
