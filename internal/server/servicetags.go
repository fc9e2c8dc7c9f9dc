package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// The server keeps no service-tag code of its own: it builds ONE
// servicetag.Set (sources, caches under <data dir>/servicetags, the one
// refresh loop, the update checks, pins and held documents, embedded
// snapshots) and wires it: the controller's enforced tags are the Set's
// InUse, a change recompiles the clusters (controller.CatalogChanged) and
// feeds the front door's per-source metrics, the Set's Status is the
// /readyz detail and the tagmetrics collector, and in distributed mode the
// fleet replicates documents through MayFetch/OnInstall/Install
// (sharedtags.go).

// tagSetConfig is the Set's configuration: --service-tags in order, or
// with none the cloud's defaults (its download page, backed by the cache
// and then by the embedded snapshot), then the --feeds (other clouds'
// published ranges, at their published URLs, GitHub's backed by its
// embedded snapshot).
func (m *Main) tagSetConfig() servicetag.SetConfig {
	var sources []servicetag.SourceConfig
	for _, s := range m.cfg.ServiceTags {
		sources = append(sources, servicetag.SourceConfig{Location: s})
	}
	if len(m.cfg.Feeds) > 0 {
		if len(sources) == 0 { // the feeds come after the cloud's default source, which stays
			sources = servicetag.DefaultSources(m.cfg.ServiceTagsCloud)
		}
		sources = append(sources, servicetag.FeedSources(m.cfg.Feeds)...)
	}
	cfg := servicetag.SetConfig{
		Sources: sources, Cloud: m.cfg.ServiceTagsCloud, CacheDir: m.path("servicetags"),
		Refresh: m.cfg.ServiceTagsRefresh, HTTP: m.cfg.ServiceTagsHTTP,
		OnChange: func(cat *servicetag.Catalog) {
			m.tagsPrev.Store(m.tagsLast.Swap(cat)) // calls are serialised
			m.catalogChanged()
		},
		Log: m.log.With("component", "servicetags"), Now: m.cfg.Now,
	}
	if m.ctrl != nil {
		cfg.InUse = m.ctrl.TagsInUse
	}
	if m.distributed() {
		cfg.MayFetch, cfg.OnInstall, cfg.OnHold = m.mayFetchTags, m.publishTags, m.publishHold
	}
	return cfg
}

// newTagSet builds the Set; startTags puts documents in force and runs it.
func (m *Main) newTagSet() error {
	set, err := servicetag.NewSet(m.tagSetConfig())
	if err != nil {
		return fmt.Errorf("configure service tags: %w", err)
	}
	m.tags = set
	return nil
}

// startTags puts each source's cache, else its embedded snapshot, in
// force (Load logs which one and how old), then in distributed mode the
// fleet's stored documents; local files are fetched at once, so a file's
// document is in force when New returns. URLs are fetched by the refresh
// loop in the background: an offline machine does not delay the start.
func (m *Main) startTags(ctx context.Context) {
	if err := m.tags.Load(); err != nil {
		m.log.Error("service-tag pins and holds unreadable: starting without them", "err", err)
	}
	if m.distributed() {
		m.loadSharedTags(ctx)
	}
	for _, src := range m.tags.Sources() {
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
			continue
		}
		if _, err := m.tags.RefreshSource(ctx, src); err != nil {
			m.log.Warn("service tags not loaded from the file", "source", src, "err", err)
		}
	}
	m.catalogChanged()
	if m.tags.Current() == nil {
		m.log.Warn("no service-tag data yet: tag entries are refused until a source loads; retrying with backoff", "sources", m.tags.Sources())
	}
	m.wg.Go(func() { _ = m.tags.Run(m.ctx) })
	if m.distributed() {
		m.wg.Go(func() { m.watchSharedTags(m.ctx) })
	}
}

// catalogChanged runs after the catalog in force changed: the front
// door's per-source metrics and the controller's recompilation.
func (m *Main) catalogChanged() {
	for _, st := range m.tags.Status().Sources {
		m.gw.SetServiceTagStatus(st.Source, st.ChangeNumber, st.Since)
	}
	if m.ctrl != nil {
		m.ctrl.CatalogChanged()
	}
}

// tagChecks are the /readyz lines of the service-tag sources: which
// document is in force and how old ("embedded snapshot, changeNumber N,
// published YYYY-MM-DD"), a held document, the last fetch error. A source
// with nothing in force is reported, but does not make the server unready
// (tag entries are refused, the server fails closed).
func (m *Main) tagChecks() []check {
	var out []check
	for _, st := range m.tags.Status().Sources {
		name := "servicetags " + st.Source
		if st.Origin == servicetag.OriginNone {
			msg := "not loaded yet (tag entries are refused)"
			if st.Err != nil {
				msg = "not loaded: " + st.Err.Error() + " (tag entries are refused; retrying)"
			}
			out = append(out, check{name, false, msg})
			continue
		}
		msg := fmt.Sprintf("loaded: %s; cloud %s, %d tags", st.InForce, st.Cloud, st.Tags)
		if h := st.Held; h != nil {
			msg += fmt.Sprintf("; HELD changeNumber %d (%s): `tagwall servicetags accept` installs it", h.ChangeNumber, strings.Join(h.Reasons, "; "))
		} else if st.Err != nil {
			msg += "; last refresh failed, keeping the document in force: " + st.Err.Error()
		}
		out = append(out, check{name, true, msg})
	}
	return out
}
