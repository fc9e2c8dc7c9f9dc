package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/gwconfig"
)

// explainResult is the JSON shape of an access check (`tagwall gateway
// check -o json`; the API's checkAccess answer has the same fields).
type explainResult struct {
	Address      string         `json:"address"`
	Allowed      bool           `json:"allowed"`
	Route        string         `json:"route,omitempty"`
	Kind         string         `json:"kind"`
	Entry        string         `json:"entry,omitempty"`
	Prefix       string         `json:"prefix,omitempty"`
	Tag          string         `json:"tag,omitempty"`
	ChangeNumber int64          `json:"changeNumber,omitempty"`
	ExpiresAt    string         `json:"expiresAt,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	Shadow       *explainShadow `json:"shadow,omitempty"`
}

type explainShadow struct {
	Allowed bool   `json:"allowed"`
	Kind    string `json:"kind"`
	Entry   string `json:"entry,omitempty"`
	Prefix  string `json:"prefix,omitempty"`
}

func toExplainResult(x gateway.Explanation) explainResult {
	r := explainResult{Address: x.Addr.String(), Allowed: x.Allowed, Route: x.Route, Kind: x.Kind, Entry: x.Entry,
		Tag: x.Tag, ChangeNumber: x.ChangeNumber, Reason: x.GrantReason}
	if x.Prefix.IsValid() {
		r.Prefix = x.Prefix.String()
	}
	if !x.Expires.IsZero() {
		r.ExpiresAt = x.Expires.UTC().Format(time.RFC3339)
	}
	if s := x.Shadow; s != nil {
		r.Shadow = &explainShadow{Allowed: s.Allowed, Kind: s.Kind, Entry: s.Entry}
		if s.Prefix.IsValid() {
			r.Shadow.Prefix = s.Prefix.String()
		}
	}
	return r
}

// describe is the one-line text form: "allowed 13.104.1.1: tag AzureCloud
// 13.104.0.0/14 (changeNumber 5)".
func (r explainResult) describe() string {
	verdict := "refused"
	if r.Allowed {
		verdict = "allowed"
	}
	var why string
	switch r.Kind {
	case gateway.KindTag:
		why = fmt.Sprintf("tag %s %s (changeNumber %d)", r.Tag, r.Prefix, r.ChangeNumber)
	case gateway.KindGrant:
		why = fmt.Sprintf("grant %s %s until %s", r.Entry, r.Prefix, r.ExpiresAt)
	case gateway.KindRange, gateway.KindSystem:
		why = r.Kind + " " + r.Prefix
	case gateway.KindDisabled:
		why = "list disabled (everyone is admitted)"
	default:
		why = "not in any entry"
	}
	line := verdict + " " + r.Address + ": " + why
	if s := r.Shadow; s != nil {
		sv := "refuse"
		if s.Allowed {
			sv = "admit"
		}
		line += "; shadow list would " + sv
	}
	return line
}

func newGatewayCheckCmd(config *string) *cobra.Command {
	var sni, out string
	cmd := &cobra.Command{
		Use:   "check ADDR [--sni NAME]",
		Short: "Explain whether the configured route for --sni admits an address, and which entry decides",
		Long: `check loads the file given to gateway's --config and its service-tag sources,
and explains the decision the route for --sni (the default route when no route
names it) takes for ADDR now: the range, the service tag with its matching prefix
and document changeNumber, or the grant and its expiry; and the shadow list's
verdict when the route has one.

Exit status: 0 allowed, 1 refused, 2 bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			addr, err := netip.ParseAddr(strings.TrimSpace(args[0]))
			if err != nil {
				return usageError(fmt.Errorf("gateway check %q: not an IP address", args[0]))
			}
			if *config == "" {
				return usageError(fmt.Errorf("gateway check: --config FILE is required"))
			}
			x, err := explainStandalone(cmd.Context(), *config, sni, addr)
			if err != nil {
				return usageError(err)
			}
			res := toExplainResult(x)
			if out == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), res.describe())
			}
			if !x.Allowed {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&sni, "sni", "", "server name the client sends (default: the default route)")
	outputFlag(cmd, &out)
	return cmd
}

// explainStandalone loads the file as `tagwall gateway` does (the same
// service-tag Set, sources, cache and rules, through a Runner feeding a
// gateway that never listens) and explains the route for sni.
func explainStandalone(ctx context.Context, path, sni string, addr netip.Addr) (gateway.Explanation, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return gateway.Explanation{}, fmt.Errorf("gateway check: %w", err)
	}
	cfg, err := gwconfig.Parse(path, raw)
	if err != nil {
		return gateway.Explanation{}, err
	}
	cfg.Dir = filepath.Dir(path)
	gw, err := gateway.New(cfg.Gateway())
	if err != nil {
		return gateway.Explanation{}, fmt.Errorf("gateway check: %w", err)
	}
	defer gw.Shutdown(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	runner := gwconfig.NewRunner(path, gw, gwconfig.RunnerOptions{Log: quiet, CacheDir: gatewayCacheDir(path, quiet)})
	if err := runner.Start(ctx, cfg, raw); err != nil {
		return gateway.Explanation{}, fmt.Errorf("gateway check: %w", err)
	}
	defer runner.Close()
	x, ok := gw.ExplainSNI(sni, addr)
	if !ok {
		return gateway.Explanation{}, fmt.Errorf("gateway check %s: no route for server name %q and no default route", addr, sni)
	}
	return x, nil
}
