package console

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// maxCheckOptions caps the clusters offered in the check form's menu.
const maxCheckOptions = 500

type checkOption struct {
	Value, Label string
	Selected     bool
}

type checkView struct {
	Options     []checkOption
	More        int // visible clusters not offered (use the cluster page's link)
	Cluster     string
	Addr        string
	Asked       bool
	Error       string
	Found       *Cluster
	ClusterURL  string
	Decision    allowlist.Decision
	NotCompiled bool
	Tags        []string // every catalog tag containing the address
}

// checkPage answers "would this address be admitted by this cluster?" with
// the compiled list in force (allowlist Explain: the deciding entry).
// It only reads, so it is a GET form.
func (c *Console) checkPage(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := c.visibleClusters(r.Context(), s)
	if err != nil {
		c.internal(w, r, s, "list clusters", err)
		return
	}
	q := r.URL.Query()
	v := checkView{Cluster: q.Get("cluster"), Addr: strings.TrimSpace(q.Get("addr"))}
	for i := range cs {
		ref := cs[i].Ref().String()
		if ref == v.Cluster {
			v.Found = &cs[i]
		}
		if len(v.Options) < maxCheckOptions || ref == v.Cluster {
			v.Options = append(v.Options, checkOption{Value: ref, Label: cs[i].Name + " (" + cs[i].ResourceGroup + ")", Selected: ref == v.Cluster})
		} else {
			v.More++
		}
	}
	status := http.StatusOK
	if v.Cluster != "" || v.Addr != "" {
		v.Asked = true
		status = c.decide(&v)
	}
	c.render(w, r, s, status, "check", "Check an address", "check", v)
}

// decide fills v's answer and returns the page's status.
func (c *Console) decide(v *checkView) int {
	a, err := netip.ParseAddr(v.Addr)
	switch {
	case v.Found == nil:
		v.Error = "Choose one of your clusters."
		return http.StatusBadRequest
	case err != nil:
		v.Error = "\"" + v.Addr + "\" is not an IP address (give one address, such as 20.20.20.20 or 2603:1000::1)."
		return http.StatusBadRequest
	}
	v.ClusterURL = c.clusterURL(v.Found)
	if v.Found.Allow == nil {
		v.NotCompiled = true
	}
	v.Decision = v.Found.Allow.Explain(a) // a nil list denies (fail closed)
	if c.cfg.Tags != nil {
		if cat := c.cfg.Tags.Catalog(); cat != nil {
			v.Tags = cat.ContainingNames(a)
		}
	}
	return http.StatusOK
}
