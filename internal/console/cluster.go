package console

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
)

// clusterView is the cluster page's data.
type clusterView struct {
	C        *Cluster
	URL      string
	Entries  []Entry
	Disabled bool
	Prefixes int // resolved prefixes over every entry
	Chart    template.HTML
	History  History
	ReadOnly bool
	ListText string    // the form's text
	Error    *APIError // the API's refusal of the last change
	Updated  bool
}

// clusterPage shows one cluster: entries, system ranges, kubeconfig
// server and SNI, the refusals chart, the latest refusals and the form.
func (c *Console) clusterPage(w http.ResponseWriter, r *http.Request, s *session) {
	cl, ok := c.lookup(w, r, s)
	if !ok {
		return
	}
	v := c.clusterView(cl)
	v.Updated = r.URL.Query().Get("updated") == "1"
	c.render(w, r, s, http.StatusOK, "cluster", cl.Name, "clusters", v)
}

// lookup finds the path's cluster among those s may see, or answers 404.
func (c *Console) lookup(w http.ResponseWriter, r *http.Request, s *session) (*Cluster, bool) {
	ref := Ref{r.PathValue("sub"), r.PathValue("rg"), r.PathValue("name")}
	cl, err := c.findCluster(r.Context(), s, ref)
	if err != nil {
		c.internal(w, r, s, "read cluster "+ref.String(), err)
		return nil, false
	}
	if cl == nil {
		c.fail(w, r, s, http.StatusNotFound, "No cluster "+ref.Name+" in resource group "+ref.ResourceGroup+
			" of a subscription you may see.")
		return nil, false
	}
	return cl, true
}

func (c *Console) clusterView(cl *Cluster) clusterView {
	v := clusterView{C: cl, URL: c.clusterURL(cl), Entries: Entries(cl), Disabled: len(cl.Ranges) == 0,
		ReadOnly: c.cfg.Lists == nil, ListText: strings.Join(cl.Ranges, ", ")}
	for _, e := range v.Entries {
		v.Prefixes += e.Prefixes
	}
	v.History = c.cfg.Recorder.History(cl.Route, c.now())
	if len(v.History.Refusals) > 20 {
		v.History.Refusals = v.History.Refusals[:20]
	}
	v.Chart = refusalChart(v.History.Minutes)
	return v
}

// changeRanges replaces the cluster's list through Config.Lists (the API's
// own validation) and shows the API's error text on refusal.
func (c *Console) changeRanges(w http.ResponseWriter, r *http.Request, s *session) {
	cl, ok := c.lookup(w, r, s)
	if !ok {
		return
	}
	if c.cfg.Lists == nil {
		c.fail(w, r, s, http.StatusMethodNotAllowed, "Lists are read-only here: they come from the configuration file.")
		return
	}
	text := r.PostFormValue("ranges")
	ranges := splitList(text)
	v := c.clusterView(cl)
	v.ListText = text
	if len(ranges) == 0 && r.PostFormValue("disable") != "on" {
		v.Error = &APIError{Status: http.StatusBadRequest, Code: "EmptyList",
			Message: "An empty list admits every address. To turn the allowlist off, tick \"Admit every address\"."}
		c.render(w, r, s, http.StatusBadRequest, "cluster", cl.Name, "clusters", v)
		return
	}
	err := c.cfg.Lists.SetRanges(r.Context(), r, s.bearer, cl.Ref(), ranges)
	var apiErr *APIError
	switch {
	case err == nil:
		c.log.Info("console changed authorized ranges", "principal", s.principal.Name, "cluster", cl.Ref().String(), "ranges", ranges)
		http.Redirect(w, r, v.URL+"?updated=1", http.StatusSeeOther)
	case errors.As(err, &apiErr):
		v.Error = apiErr
		status := apiErr.Status
		if status < 400 || status > 499 {
			status = http.StatusBadGateway
		}
		c.render(w, r, s, status, "cluster", cl.Name, "clusters", v)
	case errors.Is(err, ErrNotFound):
		c.fail(w, r, s, http.StatusNotFound, "The cluster no longer exists.")
	default:
		c.internal(w, r, s, "change authorized ranges of "+cl.Ref().String(), err)
	}
}

// splitList splits the form's text at commas and white space, as az's
// --api-server-authorized-ip-ranges is one comma-separated value.
func splitList(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}
