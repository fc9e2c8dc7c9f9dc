package main

import (
	"context"
	"log/slog"
	"net"
	"strings"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/prefilter"
)

// startPrefilter starts the kernel prefilter when the config asks for it:
// the union of every route's list, following the routes as reloads swap
// them. Without CAP_NET_ADMIN (or nf_tables) it logs why and the gateway
// runs without it. addr is the front door's listen address. The returned
// function removes the table. Both `gateway` and `serve` use it.
func startPrefilter(ctx context.Context, gw *gateway.Gateway, cfg gwconfig.Prefilter, addr net.Addr, log *slog.Logger) func() {
	if !cfg.Enabled {
		return func() {}
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		log.Warn("kernel prefilter off: not a TCP listener", "addr", addr.String())
		return func() {}
	}
	grants := grantLists{}
	lists := func() []*allowlist.List {
		rs := gw.Routes()
		out := make([]*allowlist.List, 0, len(rs))
		next := grantLists{} // only the routes in force: a removed route's entry goes
		for _, r := range rs {
			out = append(out, r.Allow)
			if len(r.Grants) > 0 {
				out = append(out, grants.list(next, r))
			}
		}
		grants = next
		return out
	}
	pc := prefilter.Config{Port: uint16(ta.Port), OnError: func(err error) {
		log.Error("kernel prefilter update failed: the sets keep their previous contents", "error", err)
	}}
	if cfg.Action == "reject" {
		pc.Action = prefilter.Reject
	}
	f, err := prefilter.New(pc, prefilter.Union(lists()))
	if err != nil {
		log.Warn("kernel prefilter off", "error", err)
		return func() {}
	}
	log.Info("kernel prefilter on", "port", ta.Port, "action", cfg.Action)
	go f.Follow(ctx, gw.RoutesChanged, lists, 0)
	return func() {
		if err := f.Close(); err != nil {
			log.Warn("kernel prefilter", "error", err)
		}
	}
}

// grantLists keeps one list per route of its grants' prefixes for the
// prefilter, rebuilt only when the route's grants change (Follow compares
// list pointers); each call's map holds only the routes in force.
// Expired grants stay in the kernel set until the next change: the
// gateway refuses them anyway, the prefilter only sheds load. Used from
// Follow's goroutine only.
type grantLists map[string]grantList

type grantList struct {
	key  string
	list *allowlist.List
}

// list returns r's grant list, from g when its grants are unchanged, and
// records it in next.
func (g grantLists) list(next grantLists, r gateway.Route) *allowlist.List {
	var key strings.Builder
	for _, gr := range r.Grants {
		key.WriteString(gr.Prefix.String() + " ")
	}
	if c, ok := g[r.Name]; ok && c.key == key.String() {
		next[r.Name] = c
		return c.list
	}
	var b allowlist.Builder
	for _, gr := range r.Grants {
		b.AddPrefix(gr.Prefix, gr.Name)
	}
	l, _ := b.Build() // masked prefixes: cannot fail
	next[r.Name] = grantList{key: key.String(), list: l}
	return l
}
