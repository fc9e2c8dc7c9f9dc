package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/servicetag/snapshot"
)

// namedDoc is one loaded document and where it came from.
type namedDoc struct {
	source string // the --source value, or "embedded:<snapshot file>"
	doc    *servicetag.Document
}

// loadDocuments loads every --source (any format, told apart by content),
// or with none the embedded snapshot of every feed that has one (Azure's
// clouds, GitHub meta), so `lookup` and `list` work offline; it says so on
// stderr.
func loadDocuments(cmd *cobra.Command, sources []string) ([]namedDoc, error) {
	if len(sources) > 0 {
		return loadSources(cmd.Context(), sources)
	}
	var keys []string
	for _, in := range snapshot.List() {
		keys = append(keys, in.Key)
	}
	return loadSnapshots(cmd, keys)
}

// loadSources loads each path or URL.
func loadSources(ctx context.Context, sources []string) ([]namedDoc, error) {
	var out []namedDoc
	for _, s := range sources {
		doc, err := loadDocument(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, namedDoc{s, doc})
	}
	return out, nil
}

// loadSnapshots loads the newest embedded snapshot of each key and names
// them on stderr.
func loadSnapshots(cmd *cobra.Command, keys []string) ([]namedDoc, error) {
	var out []namedDoc
	var names []string
	for _, key := range keys {
		doc, info, _, err := servicetag.LoadSnapshot(key)
		if err != nil {
			return nil, fmt.Errorf("load the embedded snapshots: %w", err)
		}
		out = append(out, namedDoc{"embedded:" + info.Name, doc})
		version := fmt.Sprintf("changeNumber %d", doc.ChangeNumber)
		if doc.ChangeNumber == 0 {
			version = "version " + doc.Digest() // a feed without versions
		}
		names = append(names, fmt.Sprintf("the embedded snapshot, %s, published %s (%s)", version, info.Published.Format(time.DateOnly), info.Key))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tagwall: service tags from %s (pass --source for current data)\n", strings.Join(names, "; "))
	return out, nil
}

// mergedCatalog loads the sources, or with none the embedded snapshot of
// the Azure cloud plus those of the other feeds that have one (GitHub
// meta), and merges them into one catalog, for commands that resolve tag
// names (check): a name two documents define is an error
// (servicetag.ErrDuplicateTag), never a silent choice.
func mergedCatalog(cmd *cobra.Command, sources []string, cloud string) (*servicetag.Catalog, error) {
	var docs []namedDoc
	var err error
	if len(sources) > 0 {
		docs, err = loadSources(cmd.Context(), sources)
	} else {
		key, ok := servicetag.SnapshotKey(cloud)
		if !ok {
			return nil, usageError(fmt.Errorf("--cloud %q: want Public, AzureGovernment or China", cloud))
		}
		keys := []string{key}
		for _, f := range servicetag.Feeds() {
			if k := f.SnapshotKey(); k != "" {
				keys = append(keys, k)
			}
		}
		docs, err = loadSnapshots(cmd, keys)
	}
	if err != nil {
		return nil, err
	}
	all := make([]*servicetag.Document, len(docs))
	for i, d := range docs {
		all[i] = d.doc
	}
	merged, err := servicetag.MergeFeeds(all...)
	if err != nil {
		return nil, usageError(fmt.Errorf("load service tags from %s: %w", strings.Join(sources, ", "), err))
	}
	return servicetag.NewCatalog(merged), nil
}

func sourcesFlag(cmd *cobra.Command, sources *[]string) {
	cmd.Flags().StringArrayVar(sources, "source", nil,
		"service-tag document of any cloud (Azure, GitHub meta, AWS, Google, Oracle, Cloudflare, Fastly): a path or an http(s) URL; repeatable. "+
			"None: the embedded snapshots")
}

// lookupHit is one row of `servicetags lookup`.
type lookupHit struct {
	Name          string `json:"name"`
	Cloud         string `json:"cloud"` // the tag's platform: Azure, GitHub, AWS, …
	Region        string `json:"region"`
	SystemService string `json:"systemService"`
	Prefix        string `json:"prefix"`
	Source        string `json:"source"`
}

func newServiceTagsLookupCmd() *cobra.Command {
	var sources []string
	var out string
	cmd := &cobra.Command{
		Use:   "lookup IP [--source PATH|URL]...",
		Short: "Whose address is this? Every tag, across clouds, that contains an address",
		Long: `lookup searches every loaded document (each --source, or with none the embedded
snapshots: Azure Public, AzureGovernment, China and GitHub meta) and prints every tag that
contains the address, with its cloud and the matching prefix.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			addr, err := netip.ParseAddr(strings.TrimSpace(args[0]))
			if err != nil {
				return usageError(fmt.Errorf("lookup %q: not an IP address", args[0]))
			}
			docs, err := loadDocuments(cmd, sources)
			if err != nil {
				return err
			}
			hits := lookupAll(docs, addr)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), hits)
			}
			return writeLookupTable(cmd.OutOrStdout(), hits)
		},
	}
	sourcesFlag(cmd, &sources)
	outputFlag(cmd, &out)
	return cmd
}

// lookupAll returns every tag of every document containing addr, in
// document then name order.
func lookupAll(docs []namedDoc, addr netip.Addr) []lookupHit {
	hits := []lookupHit{}
	for _, d := range docs {
		for _, t := range servicetag.NewCatalog(d.doc).Containing(addr) {
			hits = append(hits, lookupHit{Name: t.Name, Cloud: platform(t), Region: t.Region, SystemService: t.SystemService,
				Prefix: matchingPrefix(t.Prefixes, addr.Unmap()).String(), Source: d.source})
		}
	}
	return hits
}

// platform names a tag's cloud: its feed's provider, or Azure.
func platform(t *servicetag.Tag) string {
	if f := servicetag.FeedOf(t); f != servicetag.FeedAzure {
		return f.Provider()
	}
	return "Azure"
}

func writeLookupTable(w io.Writer, hits []lookupHit) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Name\tCloud\tRegion\tSystemService\tPrefix\tSource")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Cloud, h.Region, h.SystemService, h.Prefix, h.Source)
	}
	return tw.Flush()
}

// listRow is one row of `servicetags list`.
type listRow struct {
	Name         string `json:"name"`
	Cloud        string `json:"cloud"`
	Region       string `json:"region"`
	ChangeNumber int64  `json:"changeNumber"`
	IPv4         int    `json:"ipv4"`
	IPv6         int    `json:"ipv6"`
	Source       string `json:"source"`
}

func newServiceTagsListCmd() *cobra.Command {
	var sources []string
	var out, prefix string
	cmd := &cobra.Command{
		Use:   "list [--source PATH|URL]... [--prefix NAME]",
		Short: "List the tags of service-tag documents of any cloud, with their prefix counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			docs, err := loadDocuments(cmd, sources)
			if err != nil {
				return err
			}
			rows := []listRow{}
			for _, d := range docs {
				for i := range d.doc.Tags {
					t := &d.doc.Tags[i]
					if !strings.HasPrefix(strings.ToLower(t.Name), strings.ToLower(prefix)) {
						continue
					}
					v4, v6 := countFamilies(t.Prefixes)
					rows = append(rows, listRow{t.Name, platform(t), t.Region, t.ChangeNumber, v4, v6, d.source})
				}
			}
			w := cmd.OutOrStdout()
			if out == "json" {
				return writeJSON(w, rows)
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "Name\tCloud\tRegion\tChangeNumber\tIPv4\tIPv6\tSource")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Name, r.Cloud, r.Region, r.ChangeNumber, r.IPv4, r.IPv6, r.Source)
			}
			return tw.Flush()
		},
	}
	sourcesFlag(cmd, &sources)
	cmd.Flags().StringVar(&prefix, "prefix", "", `only tags whose name starts with this (case-insensitive), e.g. "GitHub." or "AWS.EC2."`)
	outputFlag(cmd, &out)
	return cmd
}
