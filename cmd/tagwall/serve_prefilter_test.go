package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/testutil"
)

// TestServePrefilterFollowsClusters runs serve's front door with
// --prefilter reject (startPrefilter, as runServe starts it) in a network
// namespace of its own: the kernel set is the union of every cluster's
// list, so with no cluster every SYN to the front door is reset; a
// cluster (whose list carries --system-ranges 127.0.0.2/32) lets
// 127.0.0.2 through while 127.0.0.3 is still reset; deleting it closes
// the door again. The set follows the routes through the gateway's change
// signal (Gateway.RoutesChanged).
func TestServePrefilterFollowsClusters(t *testing.T) {
	if !testutil.InNetns(t, "TestServePrefilterFollowsClusters") {
		return
	}
	dir := t.TempDir()
	clientCfg := filepath.Join(dir, "client.json")
	t.Setenv("TAGWALL_CONFIG", clientCfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := server.New(ctx, server.Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", MetricsAddr: "-",
		ServiceTags:  []string{shared(t, "azure-germany-2022-03-07.json")},
		SystemRanges: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, ClientConfigPath: clientCfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	gw, addr := m.FrontDoor()
	stop := startPrefilter(ctx, gw, gwconfig.Prefilter{Enabled: true, Action: "reject"}, addr, slog.New(slog.DiscardHandler))
	defer stop()
	go func() { _ = m.Run(ctx) }()

	// reset reports whether a connection from src is reset at once (the
	// prefilter's reject) rather than accepted.
	reset := func(src string) bool {
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", addr.String())
		if err == nil {
			c.Close()
			return false
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial from %s: %v, want a connection or a reset", src, err)
		}
		return true
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 5 s: %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	within("no cluster: 127.0.0.2 reset", func() bool { return reset("127.0.0.2") })

	mustTagwall(t, "group", "create", "--name", "rg", "--location", "eastus")
	mustTagwall(t, "aks", "create", "--resource-group", "rg", "--name", "pf", "--api-server-authorized-ip-ranges", "20.20.20.20", "--generate-ssh-keys")
	within("a cluster: 127.0.0.2 (its system range) through", func() bool { return !reset("127.0.0.2") })
	if !reset("127.0.0.3") {
		t.Fatal("127.0.0.3, on no cluster's list, was accepted")
	}

	mustTagwall(t, "aks", "delete", "--resource-group", "rg", "--name", "pf", "--yes")
	within("the cluster deleted: 127.0.0.2 reset again", func() bool { return reset("127.0.0.2") })
}
