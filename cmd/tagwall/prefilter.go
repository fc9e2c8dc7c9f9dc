package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/prefilter"
)

// startPrefilter starts the kernel prefilter when the config asks for it:
// the union of every route's list, following the routes as reloads swap
// them. Without CAP_NET_ADMIN (or nf_tables) it logs why and the gateway
// runs without it. The returned function removes the table.
func startPrefilter(ctx context.Context, gw *gateway.Gateway, cfg gwconfig.Prefilter, ln net.Listener, log *slog.Logger) func() {
	if !cfg.Enabled {
		return func() {}
	}
	ta, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		log.Warn("kernel prefilter off: not a TCP listener", "addr", ln.Addr().String())
		return func() {}
	}
	lists := func() []*allowlist.List {
		rs := gw.Routes()
		out := make([]*allowlist.List, len(rs))
		for i, r := range rs {
			out[i] = r.Allow
		}
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
	go f.Follow(ctx, lists, 0)
	return func() {
		if err := f.Close(); err != nil {
			log.Warn("kernel prefilter", "error", err)
		}
	}
}
