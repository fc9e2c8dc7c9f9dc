package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/state"
)

// The cut-off guard's opt-in (tagwall extension; az sends none of these,
// so an AKS-compatible client sees AKS behaviour). Each is a request
// header with the value "true", or the query parameter of the same name
// without the "x-" ("tagwall-dry-run=true").
const (
	HeaderCutoffGuard = "x-tagwall-cutoff-guard"  // refuse an update that cuts off recent clients
	HeaderDryRun      = "x-tagwall-dry-run"       // change nothing; answer with the impact preview (implies the guard)
	HeaderAllowCutOff = "x-tagwall-allow-cut-off" // apply even if recent clients are cut off
	// maxNamedCutOff is how many cut-off clients a 409 names.
	maxNamedCutOff = 5
)

// errDryRun ends a guarded request whose preview has been written.
var errDryRun = errors.New("dry run answered")

type guardOpts struct{ on, dryRun, allowCutOff bool }

func optIn(r *http.Request, name string) bool {
	v := r.Header.Get(name)
	if v == "" {
		v = r.URL.Query().Get(strings.TrimPrefix(name, "x-"))
	}
	return strings.EqualFold(v, "true")
}

// guardOptions reads the opt-in of r; always reports on when forced (the
// tagwall-only verbs, such as promoteShadow).
func guardOptions(r *http.Request, forced bool) guardOpts {
	g := guardOpts{on: forced || optIn(r, HeaderCutoffGuard), dryRun: optIn(r, HeaderDryRun), allowCutOff: optIn(r, HeaderAllowCutOff)}
	g.on = g.on || g.dryRun
	return g
}

// Preview is the impact of replacing a cluster's list: what a dry run
// answers, and what the guard checks.
type Preview struct {
	DryRun  bool     `json:"dryRun"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// NewlyAdmittedIPv4Addresses counts the IPv4 addresses of the added
	// entries (by prefix length; a tag counts its prefixes);
	// NewlyAdmittedIPv6Prefixes counts the added IPv6 prefixes.
	NewlyAdmittedIPv4Addresses uint64 `json:"newlyAdmittedIPv4Addresses"`
	NewlyAdmittedIPv6Prefixes  int    `json:"newlyAdmittedIPv6Prefixes"`
	// CutOffClients are the clients admitted within the last 24 h that the
	// new list (and the unexpired grants) would refuse, most connections
	// first.
	CutOffClients []CutOffClient `json:"cutOffClients"`
	RecentClients int            `json:"recentClientsChecked"`
}

// CutOffClient is one recent client a new list would refuse.
type CutOffClient struct {
	IPAddress string    `json:"ipAddress"`
	Count     uint64    `json:"count"`
	LastSeen  time.Time `json:"lastSeen"`
}

// preview computes the impact of replacing old's list with ranges (the
// normalised list; empty: disabled).
func (s *server) preview(old *state.ManagedCluster, ranges []string) (Preview, error) {
	p := Preview{Added: diff(ranges, old.Access.AuthorizedIPRanges), Removed: diff(old.Access.AuthorizedIPRanges, ranges)}
	s.countAdmitted(&p)
	if s.cfg.Access == nil || len(ranges) == 0 {
		return p, nil
	}
	recent, ok := s.cfg.Access.RecentClients(arm.ManagedClusterID(old.Subscription, old.ResourceGroup, old.Name))
	if !ok {
		return p, nil
	}
	res, err := s.compilePreview(ranges)
	if err != nil {
		return p, fmt.Errorf("preview list for %s: %w", old.Name, err)
	}
	route := gateway.Route{Allow: res.Allow, Grants: routecompile.Grants(old.Grants)}
	admits := gateway.Admitter(&route, s.now())
	p.RecentClients = len(recent.Clients)
	for _, c := range recent.Clients {
		if !admits(c.Addr) {
			p.CutOffClients = append(p.CutOffClients, CutOffClient{IPAddress: c.Addr.String(), Count: c.Count, LastSeen: c.LastSeen.UTC()})
		}
	}
	return p, nil
}

// compilePreview compiles ranges against the catalog in force with the one
// preview compiler, under one name for every preview: the result depends
// only on the entries and the tag versions (the compiler's version hash
// covers both), so concurrent previews of different lists stay correct,
// and the tag sets a preview builds (AzureCloud's table) stay cached for
// the next one. When the catalog changes the name is forgotten first, so
// no tag's "last good" prefixes cross from one tenant's preview to
// another's, and the previous catalog is held only until the next
// preview.
func (s *server) compilePreview(ranges []string) (*routecompile.Result, error) {
	cat := s.cfg.Catalog()
	s.previewMu.Lock()
	if cat != s.previewCat {
		s.previews.Forget("preview")
		s.previewCat = cat
	}
	s.previewMu.Unlock()
	var tags routecompile.Tags
	if cat != nil {
		tags = cat
	}
	return s.previews.Compile(tags, routecompile.List{Name: "preview", Entries: ranges})
}

// countAdmitted fills the newly admitted counts from p.Added.
func (s *server) countAdmitted(p *Preview) {
	add := func(pf netip.Prefix) {
		if pf.Addr().Is4() {
			p.NewlyAdmittedIPv4Addresses += 1 << (32 - pf.Bits())
		} else {
			p.NewlyAdmittedIPv6Prefixes++
		}
	}
	for _, e := range p.Added {
		if pf, err := netip.ParsePrefix(e); err == nil {
			add(pf)
			continue
		}
		if cat := s.cfg.Catalog(); cat != nil {
			if t, ok := cat.Lookup(e); ok {
				for _, pf := range t.Prefixes {
					add(pf)
				}
			}
		}
	}
}

// diff returns the entries of a not in b.
func diff(a, b []string) []string {
	out := []string{}
	for _, e := range a {
		if !slices.ContainsFunc(b, func(x string) bool { return strings.EqualFold(x, e) }) {
			out = append(out, e)
		}
	}
	return out
}

// guard applies the cut-off guard to replacing old's list with ranges: a
// dry run writes the preview and returns errDryRun; an update that would
// refuse recent clients is a 409 WouldCutOffClients unless allowed.
func (s *server) guard(c *call, g guardOpts, old *state.ManagedCluster, ranges []string) error {
	p, err := s.preview(old, ranges)
	if err != nil {
		return err
	}
	if g.dryRun {
		p.DryRun = true
		arm.WriteJSON(c.w, http.StatusOK, p)
		return errDryRun
	}
	if len(p.CutOffClients) == 0 || g.allowCutOff {
		if len(p.CutOffClients) > 0 {
			s.log.Info("audit", "event", "cut-off-allowed", "cluster", old.Name, "clients", len(p.CutOffClients), "by", c.principal.Name)
		}
		return nil
	}
	return cutOffError(p.CutOffClients)
}

// cutOffError is the 409 naming the first few cut-off clients.
func cutOffError(cs []CutOffClient) *arm.Error {
	var names []string
	e := &arm.Error{Status: http.StatusConflict, Code: "WouldCutOffClients"}
	for i, cl := range cs {
		line := fmt.Sprintf("%s (%d connections, last seen %s)", cl.IPAddress, cl.Count, cl.LastSeen.Format(time.RFC3339))
		if i < maxNamedCutOff {
			names = append(names, line)
		}
		e.Details = append(e.Details, &arm.Error{Code: "CutOffClient", Target: cl.IPAddress, Message: line})
	}
	more := ""
	if len(cs) > maxNamedCutOff {
		more = fmt.Sprintf(" and %d more", len(cs)-maxNamedCutOff)
	}
	e.Message = fmt.Sprintf("The new authorized IP ranges would refuse %d client(s) seen in the last 24 hours: %s%s. "+
		"Run with --dry-run to see the impact, or pass --allow-cut-off (header %s: true) to apply it anyway.",
		len(cs), strings.Join(names, ", "), more, HeaderAllowCutOff)
	return e
}
