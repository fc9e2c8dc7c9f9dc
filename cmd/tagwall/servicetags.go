package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/cli"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// outputFlag registers -o/--output with the formats the catalog commands
// print.
func outputFlag(cmd *cobra.Command, out *string) {
	cmd.Flags().StringVarP(out, "output", "o", "table", "output format: json or table")
}

func checkOutput(out string) error {
	switch out {
	case "json", "table":
		return nil
	}
	return usageError(fmt.Errorf("unknown output format %q: want json or table", out))
}

func newServiceTagsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "servicetags",
		Short: "Inspect service-tag documents of every cloud (show, diff, list, lookup) and administer a running server's catalog (status, accept, pin, unpin)",
		Long: `show and diff read a document of any cloud (Azure's, GitHub meta, AWS, Google, Oracle,
Cloudflare, Fastly): --source PATH|URL, or with no --source the snapshot embedded in this
binary (--cloud picks it; they say so on stderr). list and lookup read every --source given
(repeatable), or with none every embedded snapshot (Azure's clouds and GitHub meta).

status, accept, pin and unpin administer the catalog of a running ` + "`tagwall serve`" + ` through
its API (an administrator token; --endpoint and the client config as for the az-shaped
commands). The standalone gateway takes pins and accepts from its config file instead
(serviceTagPins, acceptChangeNumber: see docs/gateway.md).`,
	}
	cmd.AddCommand(newServiceTagsShowCmd(), newServiceTagsDiffCmd(), newServiceTagsLookupCmd(), newServiceTagsListCmd())
	cmd.AddCommand(cli.ServiceTagAdminCommands(cli.OSEnv())...)
	return cmd
}

// documentFlags are --source and --cloud of the commands that read one
// document.
type documentFlags struct {
	source, cloud string
}

func (d *documentFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.source, "source", "", "service-tag document: a path, an http(s) URL or a download page (default: the embedded snapshot of --cloud)")
	cmd.Flags().StringVar(&d.cloud, "cloud", servicetag.CloudPublic, "with no --source, the embedded snapshot's cloud: Public, AzureGovernment or China")
}

// load reads --source, or the embedded snapshot of --cloud and says so on
// stderr.
func (d *documentFlags) load(cmd *cobra.Command) (*servicetag.Document, string, error) {
	if d.source != "" {
		doc, err := loadDocument(cmd.Context(), d.source)
		return doc, d.source, err
	}
	key, ok := servicetag.SnapshotKey(d.cloud)
	if !ok {
		return nil, "", usageError(fmt.Errorf("--cloud %q: want Public, AzureGovernment or China", d.cloud))
	}
	doc, info, _, err := servicetag.LoadSnapshot(key)
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tagwall: service tags from the embedded snapshot, changeNumber %d, published %s (pass --source for current data)\n",
		doc.ChangeNumber, info.Published.Format(time.DateOnly))
	return doc, "the embedded snapshot", nil
}

// loadDocument fetches, parses and validates one document from a path or
// URL: Azure's service tags or another provider's feed (GitHub meta, AWS,
// Google, Oracle, Cloudflare, Fastly), told apart by content.
func loadDocument(ctx context.Context, pathOrURL string) (*servicetag.Document, error) {
	if pathOrURL == "" {
		return nil, usageError(fmt.Errorf("no service-tag document: pass --source PATH|URL"))
	}
	src, err := servicetag.NewSource(pathOrURL)
	if err != nil {
		return nil, usageError(err)
	}
	data, _, err := src.Fetch(ctx)
	if err != nil {
		return nil, usageError(err)
	}
	doc, err := servicetag.ParseFeed(pathOrURL, data)
	if err != nil {
		return nil, usageError(err)
	}
	return doc, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func countFamilies(ps []netip.Prefix) (v4, v6 int) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

func newServiceTagsShowCmd() *cobra.Command {
	var src documentFlags
	var out string
	cmd := &cobra.Command{
		Use:   "show NAME [--source PATH|URL]",
		Short: "Show one service tag (case-insensitive name) with its address prefixes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			doc, source, err := src.load(cmd)
			if err != nil {
				return err
			}
			tag, ok := servicetag.NewCatalog(doc).Lookup(args[0])
			if !ok {
				return usageError(fmt.Errorf("show service tag %q: not in %s (cloud %s, changeNumber %d)", args[0], source, doc.Cloud, doc.ChangeNumber))
			}
			w := cmd.OutOrStdout()
			if out == "json" {
				b, err := servicetag.MarshalTag(tag)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "%s\n", b)
				return err
			}
			v4, v6 := countFamilies(tag.Prefixes)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "Name\tRegion\tSystemService\tChangeNumber\tIPv4\tIPv6")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", tag.Name, tag.Region, tag.SystemService, tag.ChangeNumber, v4, v6)
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, p := range tag.Prefixes {
				fmt.Fprintln(w, p)
			}
			return nil
		},
	}
	src.register(cmd)
	outputFlag(cmd, &out)
	return cmd
}

func newServiceTagsDiffCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two service-tag documents: tags added, removed and changed",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			oldDoc, err := loadDocument(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			newDoc, err := loadDocument(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			d := servicetag.Diff(oldDoc, newDoc)
			w := cmd.OutOrStdout()
			if out == "json" {
				return writeJSON(w, d)
			}
			return writeDiffTable(w, d)
		},
	}
	outputFlag(cmd, &out)
	return cmd
}

func writeDiffTable(w io.Writer, d servicetag.DiffResult) error {
	var plus, minus int
	for _, c := range d.Changed {
		plus += len(c.AddedPrefixes)
		minus += len(c.RemovedPrefixes)
	}
	fmt.Fprintf(w, "changeNumber %d -> %d: %d tags added, %d removed, %d changed (+%d/-%d prefixes)\n",
		d.OldChangeNumber, d.NewChangeNumber, len(d.Added), len(d.Removed), len(d.Changed), plus, minus)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Change\tTag\tPrefixes")
	for _, n := range d.Added {
		fmt.Fprintf(tw, "added\t%s\t\n", n)
	}
	for _, n := range d.Removed {
		fmt.Fprintf(tw, "removed\t%s\t\n", n)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(tw, "changed\t%s\t+%d/-%d\n", c.Name, len(c.AddedPrefixes), len(c.RemovedPrefixes))
	}
	return tw.Flush()
}

// matchingPrefix returns the longest prefix of ps that contains a.
func matchingPrefix(ps []netip.Prefix, a netip.Addr) netip.Prefix {
	var best netip.Prefix
	for _, p := range ps {
		if p.Contains(a) && (!best.IsValid() || p.Bits() > best.Bits()) {
			best = p
		}
	}
	return best
}
