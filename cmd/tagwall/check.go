package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/cli"
	"github.com/tagwall/tagwall/internal/rangespec"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// checkResult is `tagwall check -o json`'s output.
type checkResult struct {
	Address string   `json:"address"`
	Allowed bool     `json:"allowed"`
	Entry   string   `json:"entry,omitempty"`
	Tag     string   `json:"tag,omitempty"`
	Prefix  string   `json:"prefix,omitempty"`
	Reason  string   `json:"reason"`
	Ranges  []string `json:"ranges"`
}

func newCheckCmd() *cobra.Command {
	var ranges, out, cloud string
	var sources []string
	var standalone bool
	cmd := &cobra.Command{
		Use:   "check IP --ranges LIST [--source PATH|URL]... [--cloud CLOUD]",
		Short: "Decide whether an address may reach an API server protected by an authorized-ranges list",
		Long: `check applies an authorized-ranges list (for example "AzureCloud,20.20.20.20") to one
address and says allowed or denied, and why: the entry that matched, and for a service
tag the tag's matching prefix.

By default the managed API's server rules apply (global addresses only, at most one
Azure service tag), as for a subscription with both preview features in force
(EnableServiceTagAuthorizedIPPreview, and EnableExternalServiceTagsPreview: other clouds'
tags, up to 4 tags in all); --standalone applies the standalone gateway's (private ranges
and any number of tags). Service tags resolve against every --source (Azure's documents or
other clouds' feeds, merged into one catalog: a name two documents define is an error), or
with no --source against the snapshots embedded in this binary (Azure Public unless --cloud
says otherwise, and GitHub meta; check says so on stderr). The list is compiled by the
route compiler serve and the gateway use.

Exit status: 0 allowed, 1 denied, 2 bad input (including a list the rules refuse).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			addr, err := netip.ParseAddr(strings.TrimSpace(args[0]))
			if err != nil {
				return usageError(fmt.Errorf("check %q: not an IP address", args[0]))
			}
			if !cmd.Flags().Changed("ranges") {
				return usageError(fmt.Errorf("check: --ranges is required"))
			}
			var cat *servicetag.Catalog
			if needsTags(ranges) {
				if cat, err = mergedCatalog(cmd, sources, cloud); err != nil {
					return err
				}
			}
			list, spec, err := compileCheck(ranges, standalone, cat)
			if err != nil {
				return usageError(err)
			}
			d := list.Explain(addr)
			res := checkResult{Address: addr.String(), Allowed: d.Allowed, Entry: d.Entry, Tag: d.Tag, Reason: d.Reason, Ranges: spec.Strings()}
			if d.Prefix.IsValid() {
				res.Prefix = d.Prefix.String()
			}
			w := cmd.OutOrStdout()
			if out == "json" {
				if err := writeJSON(w, res); err != nil {
					return err
				}
			} else {
				verdict := "denied"
				if d.Allowed {
					verdict = "allowed"
				}
				fmt.Fprintf(w, "%s %s: %s\n", verdict, res.Address, d.Reason)
			}
			if !d.Allowed {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ranges, "ranges", "", `authorized ranges, comma-separated ("" disables the restriction)`)
	sourcesFlag(cmd, &sources)
	cmd.Flags().StringVar(&cloud, "cloud", servicetag.CloudPublic, "with no --source, the embedded Azure snapshot's cloud: Public, AzureGovernment or China")
	cmd.Flags().BoolVar(&standalone, "standalone", false, "apply the standalone gateway's rules instead of the managed API's")
	outputFlag(cmd, &out)
	return cmd
}

// parseWireRanges parses ranges as the API receives them from az or
// tagwall's CLI: cli.AuthorizedIPRanges's list, where [""] (what az sends
// for "   ") disables as [] does, the API's rule (issue 13), then
// rangespec.ParseList as the API calls it.
func parseWireRanges(ranges string, opt rangespec.Options) (rangespec.Spec, error) {
	items := cli.AuthorizedIPRanges(ranges)
	if len(items) == 1 && items[0] == "" {
		return rangespec.Spec{Disabled: true}, nil
	}
	return rangespec.ParseList(items, opt)
}

// needsTags reports whether ranges has an entry that is not an address or
// a CIDR: only then is a service-tag document read.
func needsTags(ranges string) bool {
	for _, e := range cli.AuthorizedIPRanges(ranges) {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if _, err := netip.ParsePrefix(e); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(e); err == nil {
			continue
		}
		return true
	}
	return false
}

// compileCheck validates ranges with the chosen rules and compiles them
// with routecompile, the compiler of serve and the gateway (no system
// ranges: check has no cluster egress, so 0.0.0.0/32 admits nobody).
func compileCheck(ranges string, standalone bool, cat *servicetag.Catalog) (*allowlist.List, rangespec.Spec, error) {
	opt := rangespec.Options{Mode: rangespec.ModeServer, ServiceTagsEnabled: true, ExternalTagsEnabled: true}
	if standalone {
		opt.Mode = rangespec.ModeStandalone
	}
	var tags routecompile.Tags
	if cat != nil {
		opt.Tags, tags = cat, cat
	}
	spec, err := parseWireRanges(ranges, opt)
	if err != nil {
		return nil, spec, fmt.Errorf("check ranges %q: %w", ranges, err)
	}
	rc, err := routecompile.New(routecompile.Options{})
	if err != nil {
		return nil, spec, err
	}
	res, err := rc.Compile(tags, routecompile.List{Name: "check", Entries: spec.Strings(), AllowAll: spec.Disabled})
	if err != nil {
		return nil, spec, fmt.Errorf("compile ranges %q: %w", ranges, err)
	}
	if len(res.Notes) > 0 {
		return nil, spec, fmt.Errorf("check ranges %q: %s", ranges, strings.Join(res.Notes, "; "))
	}
	return res.Allow, spec, nil
}
