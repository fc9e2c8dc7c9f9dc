package servicetag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// feedSnapshots maps a feed to the key of its embedded snapshot (package
// snapshot); a feed without one starts with no document until its first
// fetch (or its cache).
var feedSnapshots = map[Feed]string{FeedGitHub: "github-meta"}

// SnapshotKey returns the key of the feed's embedded snapshot ("github-meta"
// for GitHub), or "" when none is embedded. Azure's snapshots are per cloud:
// see the package-level SnapshotKey.
func (f Feed) SnapshotKey() string { return feedSnapshots[f] }

// FeedSourceConfig returns the SourceConfig of feed f at urls, or at the
// provider's published URLs (Feed.DefaultURLs) when none is given, backed by
// the feed's embedded snapshot when one exists: what `serve --feeds` and the
// gateway's `serviceTags: [{feed: …}]` configure.
func FeedSourceConfig(f Feed, urls ...string) SourceConfig {
	return SourceConfig{Feed: f, URLs: slices.Clone(urls), Snapshot: f.SnapshotKey()}
}

// external reports whether sc is a source of another provider's feed.
func (sc SourceConfig) external() bool { return sc.Feed != "" && sc.Feed != FeedAzure }

// Name returns the name sc has in a Set (Status, Accept, Install, the
// cache file): Location, else for a feed source its URLs (or the published
// ones) joined by " + " (a JoinSource's name), else "" (the opened
// source's String).
func (sc SourceConfig) Name() string {
	if sc.Location != "" || !sc.external() {
		return sc.Location
	}
	urls := sc.URLs
	if len(urls) == 0 {
		urls = sc.Feed.DefaultURLs()
	}
	return strings.Join(urls, " + ")
}

// openFeed returns the Source of a feed source: its URLs (or Location, or
// the published URLs) read by the feed's parser and handed on in Azure's
// download format (AsDownload), so the Keeper, the cache file, Install and
// the update checks treat it as any other document.
func (s *Set) openFeed(sc SourceConfig) (Source, error) {
	urls := sc.URLs
	if len(urls) == 0 && sc.Location != "" {
		urls = []string{sc.Location}
	}
	src, err := NewFeedSource(sc.Feed, s.cfg.HTTP, urls...)
	if err != nil {
		return nil, err
	}
	return AsDownload(sc.Feed, src), nil
}

// docFeed returns the feed a document is, by its Cloud: the non-Azure feed
// whose Provider it names, else FeedAzure.
func docFeed(d *Document) Feed {
	for _, f := range Feeds() {
		if d.Cloud == f.Provider() {
			return f
		}
	}
	return FeedAzure
}

// checkFeed applies the rules a document of source m must pass before the
// update checks, whatever its origin: it is of m's feed (when configured),
// and it defines no tag name that a source of another feed has in force
// (the multi-source rule's first-source-wins holds only among sources of
// one feed, such as a mirror; across providers a shared name is ambiguous,
// so the later document is refused with ErrDuplicateTag and the one in
// force stays). others are the Set's members. s.mu is held.
func checkFeed(m *member, doc *Document, others []*member) error {
	feed := docFeed(doc)
	if m.cfg.Feed != "" && feed != m.cfg.Feed {
		return fmt.Errorf("service tags from %q: %w: the source is feed %s, the document is %s (cloud %q)",
			m.name, ErrWrongFeed, m.cfg.Feed, feed, doc.Cloud)
	}
	var errs []error
	for _, o := range others {
		cur := o.keeper.Current()
		if o == m || cur == nil || docFeed(cur.doc) == feed {
			continue
		}
		for i := range doc.Tags {
			if _, ok := cur.Lookup(doc.Tags[i].Name); ok {
				errs = append(errs, fmt.Errorf("service tags from %q: %w: %q is also defined by %q (feed %s; names are case-insensitive)",
					m.name, ErrDuplicateTag, doc.Tags[i].Name, o.name, docFeed(cur.doc)))
				if len(errs) == 10 {
					return errors.Join(append(errs, errors.New("…and possibly more"))...)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// loadMember puts m's cache, else its embedded snapshot, in force (as Load
// does), then checks it against the other sources' documents in force: a
// document that fails checkFeed is taken out of force again (logged and
// returned), and the snapshot is tried after a refused cache. s.mu is held.
func (s *Set) loadMember(m *member, others []*member) error {
	var errs []error
	s.loadCache(m)
	if err := s.unloadIfConflict(m, others); err != nil {
		errs = append(errs, err)
	}
	if m.keeper.Current() == nil && m.cfg.Snapshot != "" {
		s.loadSnapshot(m)
		if err := s.unloadIfConflict(m, others); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("load service tags of %q: %w", m.name, errors.Join(errs...))
	}
	return nil
}

// unloadIfConflict takes m's document out of force when it fails
// checkFeed. s.mu is held.
func (s *Set) unloadIfConflict(m *member, others []*member) error {
	cur := m.keeper.Current()
	if cur == nil {
		return nil
	}
	err := checkFeed(m, cur.doc, others)
	if err == nil {
		return nil
	}
	m.keeper.mu.Lock()
	m.keeper.cur.Store(nil)
	m.keeper.sum = [32]byte{}
	m.keeper.mu.Unlock()
	m.origin, m.since, m.published = OriginNone, time.Time{}, time.Time{}
	s.counters.Rejected++
	s.log.Error("service-tag document refused at load: its tag names clash with another feed's", "source", m.name,
		"origin_refused", "cache or embedded snapshot", "err", err)
	return err
}

// versionText names a document's version for messages: its changeNumber,
// or for a feed that publishes none (changeNumber 0) its content hash.
func versionText(d *Document) string {
	if d.ChangeNumber == 0 {
		return "version " + d.Digest()
	}
	return fmt.Sprintf("changeNumber %d", d.ChangeNumber)
}

// sameUnversioned reports whether a and b are documents of a feed without
// versions (changeNumber 0) with the same content (Document.Digest): a
// re-serialised or reordered document is then the one in force, not a new
// one.
func sameUnversioned(a, b *Document) bool {
	return a != nil && b != nil && a.ChangeNumber == 0 && b.ChangeNumber == 0 && a.Digest() == b.Digest()
}

// AzureOnly returns doc without the tags of other clouds' feeds (FeedOf(t)
// != FeedAzure), for what must stay Azure's alone: the discovery API. Its
// Cloud drops the feeds' providers ("Public+GitHub" becomes "Public"); its
// ChangeNumber is doc's, which for a Set's catalog is Azure's documents'
// alone (see Set). doc itself is returned when it has no such tag; the
// result shares prefix slices with doc.
func AzureOnly(doc *Document) *Document {
	if doc == nil || !slices.ContainsFunc(doc.Tags, func(t Tag) bool { return FeedOf(&t) != FeedAzure }) {
		return doc
	}
	out := *doc
	out.Tags = make([]Tag, 0, len(doc.Tags))
	for i := range doc.Tags {
		if FeedOf(&doc.Tags[i]) == FeedAzure {
			out.Tags = append(out.Tags, doc.Tags[i])
		}
	}
	var clouds []string
	for _, c := range strings.Split(doc.Cloud, "+") {
		if docFeed(&Document{Cloud: c}) == FeedAzure {
			clouds = append(clouds, c)
		}
	}
	out.Cloud = strings.Join(clouds, "+")
	return &out
}

// ParseFeedList parses the value of `serve --feeds` ("github,aws,…",
// case-insensitive, spaces ignored) into feeds in the given order. Azure
// is not a feed of this list (its sources are the service-tag sources); an
// unknown or repeated name is an error, every one reported.
func ParseFeedList(s string) ([]Feed, error) {
	var out []Feed
	var errs []error
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f, err := ParseFeedName(part)
		switch {
		case err != nil:
			errs = append(errs, err)
		case f == FeedAzure:
			errs = append(errs, fmt.Errorf("parse feed name %q: Azure's service tags are not one of the other clouds' feeds; configure them as service-tag sources", part))
		case slices.Contains(out, f):
			errs = append(errs, fmt.Errorf("parse feed name %q: %s is listed twice", part, f))
		default:
			out = append(out, f)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("parse feeds %q: %w", s, err)
	}
	return out, nil
}

// FeedSources returns FeedSourceConfig of each feed at its published URLs,
// in order: the sources `serve --feeds` adds after Azure's.
func FeedSources(feeds []Feed) []SourceConfig {
	out := make([]SourceConfig, len(feeds))
	for i, f := range feeds {
		out[i] = FeedSourceConfig(f)
	}
	return out
}
