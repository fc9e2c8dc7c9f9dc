package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/tagwall/tagwall/internal/console"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// gatewayConsole is the read-only web console of `tagwall gateway` (ui:
// true): the file's routes as clusters, its service-tag sources, the
// front door's decisions. It signs in with the token in uiTokenFile.
type gatewayConsole struct {
	runner *gwconfig.Runner
	file   string
	listen string
}

// readUIToken reads the console token (the file must not be readable by
// group or others, like serve's --token-file).
func readUIToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read ui token %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("read ui token %s: mode %v lets others read it; chmod 600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read ui token %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return "", fmt.Errorf("read ui token %s: shorter than 16 characters", path)
	}
	return tok, nil
}

// newGatewayConsole builds the console handler for cfg (nil when ui is off).
func newGatewayConsole(cfg *gwconfig.Config, configPath string, runner *gwconfig.Runner, rec *console.Recorder, log *slog.Logger) (http.Handler, error) {
	if !cfg.UI {
		return nil, nil
	}
	tok, err := readUIToken(cfg.UITokenPath())
	if err != nil {
		return nil, err
	}
	gc := &gatewayConsole{runner: runner, file: filepath.Base(configPath), listen: cfg.Listen}
	return console.New(console.Config{Title: "tagwall gateway", Auth: console.StaticToken{Token: tok}, Clusters: gc,
		Tags: gc, Recorder: rec, Logger: log.With("component", "console")})
}

// Clusters implements console.ClusterSource: one "cluster" per route,
// in subscription "gateway" and resource group the file's name.
func (g *gatewayConsole) Clusters(context.Context, []string) ([]console.Cluster, error) { // the file's routes: one subscription
	cfg := g.runner.Config()
	routes := g.runner.Routes()
	out := make([]console.Cluster, 0, len(routes))
	for _, r := range routes {
		c := console.Cluster{Subscription: "gateway", ResourceGroup: g.file, Name: r.Name, State: "Serving",
			Allow: r.Allow, Server: "https://" + g.listen, SNI: r.SNI, Route: r.Name}
		for _, rc := range cfg.Routes {
			if rc.Name == r.Name { // gwconfig fills a missing name (sni, else "default")
				c.Ranges = rc.AuthorizedIPRanges
				c.Location = rc.Upstream
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Catalog implements console.TagSource: the catalog in force (the
// service-tag Set's merged catalog).
func (g *gatewayConsole) Catalog() *servicetag.Catalog {
	if set := g.runner.ServiceTags(); set != nil {
		return set.Current()
	}
	return nil
}

// Previous implements console.TagSource (the gateway keeps no history).
func (g *gatewayConsole) Previous() *servicetag.Catalog { return nil }

// Status implements console.TagSource.
func (g *gatewayConsole) Status() []console.SourceStatus {
	return console.SourcesFromSet(g.runner.Status())
}

// recorderRoutes feeds the recorder each route table.
func recorderRoutes(rec *console.Recorder) func([]gateway.Route) {
	return func(rs []gateway.Route) {
		names := make([]string, len(rs))
		for i, r := range rs {
			names[i] = r.Name
		}
		rec.SetRoutes(names)
	}
}
