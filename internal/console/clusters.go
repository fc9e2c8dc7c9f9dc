package console

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ClustersPageSize is the number of rows of one clusters page, and
// rowEntries the entries a row shows (the rest are counted; the cluster
// page has them all), so a page stays small with 200-entry lists.
const (
	ClustersPageSize = 100
	rowEntries       = 4
)

// clusterRow is one line of the clusters table.
type clusterRow struct {
	Cluster
	URL               string
	Entries           []Entry // at most rowEntries
	More              int     // entries not shown
	Admitted, Refused int
}

// column is a sortable column header.
type column struct {
	Key, Label, URL, Sort string // Sort: "", "ascending" or "descending" (aria-sort)
	Numeric               bool
}

type clustersView struct {
	Query, SortKey, Dir string
	Columns             []column
	Rows                []clusterRow
	Total, Shown        int
	Page, Pages         int
	PrevURL, NextURL    string
	// Unrouted are the refusals no cluster can be named for, shown only
	// to a principal of every subscription (they may aim at any cluster).
	Unrouted *History
}

var clusterColumns = []column{
	{Key: "subscription", Label: "Subscription"}, {Key: "group", Label: "Resource group"},
	{Key: "name", Label: "Name"}, {Key: "location", Label: "Location"}, {Key: "state", Label: "State"},
	{Key: "entries", Label: "Authorized entries"}, {Key: "admitted", Label: "Admitted (1 h)", Numeric: true},
	{Key: "refused", Label: "Refused (1 h)", Numeric: true},
}

// clustersPage is the filterable, sortable, paged clusters table; q, sort,
// dir and page are query parameters, applied on the server.
func (c *Console) clustersPage(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := c.visibleClusters(r.Context(), s)
	if err != nil {
		c.internal(w, r, s, "list clusters", err)
		return
	}
	q := r.URL.Query()
	v := clustersView{Query: strings.TrimSpace(q.Get("q")), SortKey: q.Get("sort"), Dir: q.Get("dir")}
	if !slices.ContainsFunc(clusterColumns, func(col column) bool { return col.Key == v.SortKey }) {
		v.SortKey = "name"
	}
	if v.Dir != "desc" {
		v.Dir = "asc"
	}
	now := c.now()
	rows := make([]clusterRow, 0, len(cs))
	for i := range cs {
		row := clusterRow{Cluster: cs[i], URL: c.clusterURL(&cs[i]), Entries: Entries(&cs[i])}
		if !matchesQuery(&row, v.Query) {
			continue
		}
		if len(row.Entries) > rowEntries {
			row.Entries, row.More = row.Entries[:rowEntries], len(row.Entries)-rowEntries
		}
		row.Admitted, row.Refused = c.cfg.Recorder.Totals(cs[i].Route, now)
		rows = append(rows, row)
	}
	sortRows(rows, v.SortKey, v.Dir == "desc")
	v.Total = len(rows)
	v.Pages = max(1, (len(rows)+ClustersPageSize-1)/ClustersPageSize)
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = min(max(v.Page, 1), v.Pages)
	lo := (v.Page - 1) * ClustersPageSize
	v.Rows = rows[lo:min(lo+ClustersPageSize, len(rows))]
	v.Shown = len(v.Rows)
	v.Columns = c.columns(v)
	if v.Page > 1 {
		v.PrevURL = c.clustersURL(v.Query, v.SortKey, v.Dir, v.Page-1)
	}
	if v.Page < v.Pages {
		v.NextURL = c.clustersURL(v.Query, v.SortKey, v.Dir, v.Page+1)
	}
	if s.principal.AllSubscriptions && c.cfg.Recorder != nil {
		h := c.cfg.Recorder.History(Unrouted, now)
		if len(h.Refusals) > 10 {
			h.Refusals = h.Refusals[:10]
		}
		v.Unrouted = &h
	}
	c.render(w, r, s, http.StatusOK, "clusters", "Clusters", "clusters", v)
}

func (c *Console) columns(v clustersView) []column {
	cols := slices.Clone(clusterColumns)
	for i := range cols {
		dir := "asc"
		if cols[i].Key == v.SortKey {
			cols[i].Sort = "ascending"
			if v.Dir == "desc" {
				cols[i].Sort = "descending"
			} else {
				dir = "desc"
			}
		}
		cols[i].URL = c.clustersURL(v.Query, cols[i].Key, dir, 1)
	}
	return cols
}

func (c *Console) clustersURL(query, sortKey, dir string, page int) string {
	q := url.Values{}
	if query != "" {
		q.Set("q", query)
	}
	q.Set("sort", sortKey)
	q.Set("dir", dir)
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return c.cfg.Prefix + "clusters?" + q.Encode()
}

func (c *Console) clusterURL(cl *Cluster) string {
	return c.cfg.Prefix + "clusters/" + url.PathEscape(cl.Subscription) + "/" + url.PathEscape(cl.ResourceGroup) + "/" +
		url.PathEscape(cl.Name)
}

// matchesQuery reports whether every word of q appears (case-insensitively)
// in one of the row's fields or entries.
func matchesQuery(row *clusterRow, q string) bool {
	if q == "" {
		return true
	}
	hay := strings.ToLower(strings.Join([]string{row.Subscription, row.ResourceGroup, row.Name, row.Location, row.State,
		strings.Join(row.Ranges, " ")}, " "))
	for _, word := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(hay, word) {
			return false
		}
	}
	return true
}

func sortRows(rows []clusterRow, key string, desc bool) {
	keyOf := func(r *clusterRow) string {
		switch key {
		case "subscription":
			return r.Subscription
		case "group":
			return r.ResourceGroup
		case "location":
			return r.Location
		case "state":
			return r.State
		case "entries":
			return strings.Join(r.Ranges, ",")
		}
		return r.Name
	}
	slices.SortStableFunc(rows, func(a, b clusterRow) int {
		var d int
		switch key {
		case "admitted":
			d = cmp.Compare(a.Admitted, b.Admitted)
		case "refused":
			d = cmp.Compare(a.Refused, b.Refused)
		default:
			d = strings.Compare(strings.ToLower(keyOf(&a)), strings.ToLower(keyOf(&b)))
		}
		if d == 0 {
			d = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		if desc {
			return -d
		}
		return d
	})
}
