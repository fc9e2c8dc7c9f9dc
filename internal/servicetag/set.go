package servicetag

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Set.
const (
	DefaultRefresh           = time.Hour
	DefaultRetryMin          = 5 * time.Second
	DefaultRetryMax          = 10 * time.Minute
	DefaultMaxShrink         = 0.5
	DefaultRegressionRepeats = 3
)

// DefaultGuard lists the tags every update check treats as in use, on top
// of SetConfig.InUse: losing AzureCloud locks out every cluster naming it.
var DefaultGuard = []string{"AzureCloud"}

// Origin says where the document in force for a source came from.
type Origin string

const (
	OriginNone     Origin = ""         // nothing in force yet
	OriginLive     Origin = "live"     // fetched from the source by this process
	OriginCache    Origin = "cache"    // the cache file, from an earlier run
	OriginEmbedded Origin = "embedded" // the snapshot compiled into the binary
	OriginReplica  Origin = "replica"  // given to Install by another replica
	OriginAccepted Origin = "accepted" // a held document installed by Accept
)

// SourceConfig is one source of a Set.
type SourceConfig struct {
	// Location is a path, an http(s) URL, a Microsoft download page or a
	// discovery-API URL (OpenSource); it names the source in Status, logs,
	// Accept and the cache file name.
	Location string
	// Source, when set, is used instead of opening Location (a wrapper or
	// a test double). With Feed set it serves the feed's own format (it is
	// wrapped in AsDownload unless it is one already).
	Source Source
	// Feed is the source's feed: "" or FeedAzure for Azure's service tags
	// (Location is opened with OpenSource), another Feed for a provider's
	// published ranges (URLs, else Location, else Feed.DefaultURLs, read
	// with NewFeedSource and AsDownload; FeedSourceConfig fills it in). A
	// document of another feed is refused. Sources of the same feed follow
	// the multi-source rule (first source wins); a tag name that sources of
	// two feeds both define is refused (ErrDuplicateTag).
	Feed Feed
	// URLs are a feed source's locations when it has several (Cloudflare's
	// ips-v4 and ips-v6); Location then defaults to them joined by " + ".
	URLs []string
	// Token is the bearer token of a discovery-API source.
	Token TokenFunc
	// Snapshot is the key of the embedded snapshot put in force when there
	// is no usable cache (e.g. "azure-public", see SnapshotKey); "" for none.
	Snapshot string
	// Refresh overrides SetConfig.Refresh for this source when positive.
	Refresh time.Duration
}

// SetConfig configures a Set. Zero fields take the defaults.
type SetConfig struct {
	// Sources in priority order. None: DefaultSources(Cloud).
	Sources []SourceConfig
	// Cloud picks the default source and snapshot (Public, AzureGovernment
	// or China; "" is Public). It is not checked against configured sources.
	Cloud string
	// CacheDir holds each source's last good document, held documents and
	// the operator state (pins, holds). "" keeps nothing on disk.
	CacheDir string
	// Refresh is the interval between fetches of a source (DefaultRefresh).
	Refresh time.Duration
	// RetryMin and RetryMax bound the one backoff policy: after a failed
	// fetch a source is retried after RetryMin, doubling up to RetryMax
	// and never later than Refresh.
	RetryMin, RetryMax time.Duration
	// HTTP configures the sources opened from Location.
	HTTP HTTPOptions
	// InUse returns the tag names clusters and routes use now; the update
	// check refuses a document that drops or halves one of them. It is
	// called before each fetch's check, without the Set's lock; it must not
	// call the Set.
	InUse func() []string
	// Guard lists tags always checked as in use; nil means DefaultGuard.
	Guard []string
	// MaxShrink is the largest share of its prefixes a tag in use may lose
	// in one update (DefaultMaxShrink); 1 or more disables the check.
	MaxShrink float64
	// RegressionRepeats is how many consecutive fetches of the same
	// document whose only fault is a lower changeNumber install it
	// (DefaultRegressionRepeats).
	RegressionRepeats int
	// OnChange is called after the merged catalog in force changed, with
	// the new one, on the goroutine that changed it, after the Set's lock is
	// released; calls are serialised and never pass an older catalog than
	// the one passed before. It may read the Set (Current, Status).
	OnChange func(*Catalog)
	// OnInstall is called after a document fetched by this process, or
	// installed over the update checks, was put in force, with its raw
	// bytes, so a fleet can publish it. overridden is true when the update
	// checks were overridden (Accept, AcceptDocument or a regression served
	// RegressionRepeats times): the other replicas must then install it
	// with AcceptDocument, since Install would hold it. It is not called
	// for Install (the document came from the fleet). It runs after the
	// Set's lock is released, so it may block on the network.
	OnInstall func(source string, data []byte, overridden bool)
	// OnHold is called after a source's held document changed: with its
	// raw bytes and status when one is held (by a fetch, or restored from
	// the cache dir at start), with nil and nil when the hold ended
	// (installed, accepted, dropped for another document), so a fleet can
	// show and accept it on every replica. It runs after the Set's lock is
	// released, like OnInstall.
	OnHold func(source string, data []byte, held *HeldStatus)
	// MayFetch, when set, is asked before each scheduled fetch (a fleet's
	// refresh claim); false skips it and asks again after RetryMin.
	MayFetch func(ctx context.Context, source string) bool
	// Log receives one line per change, hold, acceptance and fallback
	// (default: slog.Default()).
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultSources returns the sources of a Set configured with none: the
// cloud's download page backed by its embedded snapshot. An unknown cloud
// has none.
func DefaultSources(cloud string) []SourceConfig {
	for _, c := range azureClouds {
		if strings.EqualFold(c.cloud, cloud) || (cloud == "" && c.cloud == CloudPublic) {
			return []SourceConfig{{Location: c.page, Snapshot: c.snapshot}}
		}
	}
	return nil
}

// Set is the one service-tag catalog of a process: the serve mode, the
// standalone gateway and the CLI read it. It keeps, per source, the
// document in force (a Keeper with its cache file), a held document that
// failed the update checks, and the schedule of the one refresh loop (Run).
//
// Multi-source rule: sources are in priority order and the catalog in
// force is their union by tag name, where the first source (in
// configuration order) that defines a name provides the tag; the same name
// in a later source is shadowed (counted in Status, logged), never merged,
// so a list admits exactly what one publisher says. That rule holds among
// sources of one feed (Azure's clouds, a mirror of GitHub meta); sources of
// different feeds (SourceConfig.Feed) must not share a name: a document
// that would is refused at load, fetch, Install and Accept
// (ErrDuplicateTag), and the one in force stays. Pinned tags replace the
// source's version (Pin). The merged catalog's changeNumber is the sum of
// its Azure documents' (a feed's version is its own, in Status).
// Catalogs are immutable and shared: every cluster and route reads the one
// catalog in force, whatever feeds it holds.
//
// Update rule (vet): a document from a source replaces the one in force
// only if its cloud is the same, no tag in use (InUse ∪ Guard, unless
// pinned) disappears or loses more than MaxShrink of its prefixes, and its
// changeNumber does not go back. Otherwise it is held beside the one in
// force (Status, log, counters) until Accept, or — when its only fault is
// a lower changeNumber — until RegressionRepeats consecutive fetches bring
// the same bytes. A feed that publishes no version (GitHub, Cloudflare,
// Fastly: changeNumber 0) never regresses; its documents are told apart by
// content (Document.Digest), so the same prefixes in another order are the
// document in force. A source that serves the document in force again, or a
// document that passes, drops the hold.
//
// Current is lock-free; the other methods are safe for concurrent use. A
// Set must not be copied.
type Set struct {
	cfg     SetConfig
	log     *slog.Logger
	members []*member
	cur     atomic.Pointer[Catalog]
	kick    chan struct{} // wakes Run after SetSources

	mu       sync.Mutex // serialises offers, holds, pins, rebuilds and state writes
	pins     map[string]*pin
	counters Counters
	inUse    []string // InUse's answer, taken before mu by lockVet
	after    []func() // OnInstall calls to make once mu is released

	notifyMu sync.Mutex // serialises OnChange calls
	notified *Catalog   // the catalog OnChange saw last
}

// lockVet takes the lock for an operation that may run the update checks:
// InUse is asked first, without the lock, so a hook that takes its
// caller's lock cannot deadlock against a caller holding that lock.
func (s *Set) lockVet() {
	var names []string
	if s.cfg.InUse != nil {
		names = s.cfg.InUse()
	}
	s.mu.Lock()
	s.inUse = names
}

// unlock releases the lock, then makes the calls queued under it: OnInstall
// in order, and OnChange with the catalog in force now (never a stale one).
func (s *Set) unlock() {
	calls := s.after
	s.after = nil
	s.mu.Unlock()
	for _, call := range calls {
		call()
	}
	s.notify()
}

// notify calls OnChange when the catalog in force is not the one it saw.
func (s *Set) notify() {
	if s.cfg.OnChange == nil {
		return
	}
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if cat := s.cur.Load(); cat != nil && cat != s.notified {
		s.notified = cat
		s.cfg.OnChange(cat)
	}
}

// member is one source of a Set.
type member struct {
	cfg    SourceConfig
	name   string
	src    Source
	keeper *Keeper

	// Guarded by Set.mu.
	origin    Origin
	since     time.Time // when the document in force was fetched or cached
	published time.Time // of the embedded snapshot in force
	prev      *Document // the document in force before the current one
	held      *hold
	shadowed  int
	lastFetch time.Time
	lastOK    time.Time
	nextFetch time.Time
	lastErr   error
	retry     time.Duration
}

// NewSet opens every source (or the defaults) and returns a Set with no
// document in force; call Load, then Run.
func NewSet(cfg SetConfig) (*Set, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Sources) == 0 {
		return nil, fmt.Errorf("new service-tag set: no sources and no default for cloud %q", cfg.Cloud)
	}
	s := &Set{cfg: cfg, log: cfg.Log, pins: map[string]*pin{}, kick: make(chan struct{}, 1)}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("create service-tag cache dir %q: %w", cfg.CacheDir, err)
		}
	}
	seen := map[string]bool{}
	for i, sc := range cfg.Sources {
		if loc := sc.Name(); loc != "" && seen[loc] {
			return nil, fmt.Errorf("new service-tag set: sources[%d] %q is listed twice", i, loc)
		}
		seen[sc.Name()] = true
		m, err := s.newMember(sc)
		if err != nil {
			return nil, fmt.Errorf("new service-tag set: sources[%d]: %w", i, err)
		}
		s.members = append(s.members, m)
	}
	return s, nil
}

func (c SetConfig) withDefaults() SetConfig {
	if len(c.Sources) == 0 {
		c.Sources = DefaultSources(c.Cloud)
	}
	if c.Refresh <= 0 {
		c.Refresh = DefaultRefresh
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.MaxShrink <= 0 {
		c.MaxShrink = DefaultMaxShrink
	}
	if c.RegressionRepeats <= 0 {
		c.RegressionRepeats = DefaultRegressionRepeats
	}
	if c.Guard == nil {
		c.Guard = DefaultGuard
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (s *Set) newMember(sc SourceConfig) (*member, error) {
	if _, ok := feeds[sc.Feed]; sc.Feed != "" && !ok {
		return nil, fmt.Errorf("service-tag source %q: feed %q: %w", sc.Location, string(sc.Feed), ErrUnknownFeed)
	}
	sc.Location = sc.Name()
	src := sc.Source
	var err error
	switch {
	case src != nil && sc.external():
		if _, wrapped := src.(*downloadSource); !wrapped {
			src = AsDownload(sc.Feed, src) // a source of the feed's own format
		}
	case src != nil:
	case sc.external():
		src, err = s.openFeed(sc)
	default:
		src, err = OpenSource(sc.Location, SourceOptions{HTTP: s.cfg.HTTP, Token: sc.Token})
	}
	if err != nil {
		return nil, err
	}
	if sc.Location == "" {
		sc.Location = src.String()
	}
	var opts []KeeperOption
	if s.cfg.CacheDir != "" {
		opts = append(opts, WithCacheFile(s.path(sc.Location, ".json")))
	}
	return &member{cfg: sc, name: sc.Location, src: src, keeper: NewKeeper(src, opts...), retry: s.cfg.RetryMin}, nil
}

// CacheName returns the file name a source's cache has in the cache dir
// (the first 8 bytes of the SHA-256 of its location, in hex, + ext), the
// same name server's caches had, so an upgrade keeps them.
func CacheName(location, ext string) string {
	sum := sha256.Sum256([]byte(location))
	return hex.EncodeToString(sum[:8]) + ext
}

func (s *Set) path(location, ext string) string {
	return filepath.Join(s.cfg.CacheDir, CacheName(location, ext))
}

// Current returns the merged catalog in force, or nil before any source
// has a document.
func (s *Set) Current() *Catalog { return s.cur.Load() }

// Sources lists the source locations in priority order.
func (s *Set) Sources() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.members))
	for i, m := range s.members {
		out[i] = m.name
	}
	return out
}

// member finds a source by location; "" is the only source of a Set with
// one. s.mu is held.
func (s *Set) member(name string) (*member, error) {
	if name == "" && len(s.members) == 1 {
		return s.members[0], nil
	}
	for _, m := range s.members {
		if m.name == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("service-tag source %q: %w", name, ErrUnknownSource)
}

// Load puts a document in force for every source, before any fetch: the
// cache file when it holds a valid document, else the source's embedded
// snapshot. A damaged cache is logged (and skipped). A document defining a
// tag name that an earlier source of another feed defines is refused
// (ErrDuplicateTag): that source has no document until a fetch brings one
// without the clash. It then restores the operator state (pins, holds) and
// builds the catalog. Load does not fetch; call Refresh or Run for that. It
// returns an error when the operator state file is damaged or a document
// was refused for a clash (everything else is in Status); the Set is usable
// anyway.
func (s *Set) Load() error {
	s.lockVet()
	defer s.unlock()
	now := s.cfg.Now()
	var errs []error
	for i, m := range s.members {
		errs = append(errs, s.loadMember(m, s.members[:i]))
		if m.keeper.Current() == nil {
			s.log.Warn("no service-tag document for this source until a fetch succeeds", "source", m.name)
		} else {
			s.log.Info("service tags in force", "source", m.name, "origin", s.describe(m, now))
		}
		m.nextFetch = now
	}
	errs = append(errs, s.loadState())
	s.rebuild()
	return errors.Join(errs...)
}

// loadCache puts the cache file's document in force. s.mu is held.
func (s *Set) loadCache(m *member) {
	if s.cfg.CacheDir == "" {
		return
	}
	path := s.path(m.name, ".json")
	err := m.keeper.LoadCache()
	switch {
	case err == nil:
		m.origin, m.since = OriginCache, s.cfg.Now()
		if st, err := os.Stat(path); err == nil {
			m.since = st.ModTime()
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		fallback := "nothing (no embedded snapshot for this source)"
		if m.cfg.Snapshot != "" {
			fallback = "the embedded snapshot " + m.cfg.Snapshot
		}
		s.log.Error("service-tag cache is damaged; falling back to "+fallback, "source", m.name, "cache", path, "err", err)
	}
}

// loadSnapshot puts the embedded snapshot in force. s.mu is held.
func (s *Set) loadSnapshot(m *member) {
	doc, info, data, err := LoadSnapshot(m.cfg.Snapshot)
	if err != nil {
		s.log.Error("embedded service-tag snapshot unusable", "source", m.name, "snapshot", m.cfg.Snapshot, "err", err)
		return
	}
	m.keeper.mu.Lock()
	m.keeper.put(data, sha256.Sum256(data), doc, false)
	m.keeper.mu.Unlock()
	m.origin, m.published, m.since = OriginEmbedded, info.Published, info.Published
}

// Run refreshes every source on one schedule until ctx ends, and returns
// ctx.Err(). Sources are fetched one at a time, each when due: Refresh
// after a fetch that returned (a document, not-modified or a held
// document), and after a failure RetryMin, doubling up to RetryMax (never
// later than Refresh). The first fetches are due at once. Call Load first,
// so the cache or snapshot is in force while the first fetches run.
func (s *Set) Run(ctx context.Context) error {
	for {
		m, due := s.nextDue()
		timer := time.NewTimer(max(due.Sub(s.cfg.Now()), 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-s.kick:
			timer.Stop()
			continue
		case <-timer.C:
		}
		if s.cfg.MayFetch != nil && !s.cfg.MayFetch(ctx, m.name) {
			s.mu.Lock()
			m.nextFetch = s.cfg.Now().Add(s.cfg.RetryMin)
			s.mu.Unlock()
			continue
		}
		_, _ = s.refresh(ctx, m)
	}
}

// interval is m's refresh interval.
func (s *Set) interval(m *member) time.Duration {
	if m.cfg.Refresh > 0 {
		return m.cfg.Refresh
	}
	return s.cfg.Refresh
}

// nextDue returns the source due first.
func (s *Set) nextDue() (*member, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := s.members[0]
	for _, m := range s.members[1:] {
		if m.nextFetch.Before(best.nextFetch) {
			best = m
		}
	}
	return best, best.nextFetch
}

// Refresh fetches every source now, in order, and returns whether the
// catalog in force changed and every fetch error and hold, joined (a held
// document's error wraps ErrHeld).
func (s *Set) Refresh(ctx context.Context) (changed bool, err error) {
	var errs []error
	for _, m := range s.memberList() {
		c, err := s.refresh(ctx, m)
		changed = changed || c
		errs = append(errs, err)
	}
	return changed, errors.Join(errs...)
}

// RefreshSource is Refresh for one source ("" for the only one).
func (s *Set) RefreshSource(ctx context.Context, source string) (bool, error) {
	s.mu.Lock()
	m, err := s.member(source)
	s.mu.Unlock()
	if err != nil {
		return false, err
	}
	return s.refresh(ctx, m)
}

// refresh fetches m once and offers the result.
func (s *Set) refresh(ctx context.Context, m *member) (bool, error) {
	data, notModified, err := m.src.Fetch(ctx)
	if err != nil && ctx.Err() != nil {
		return false, err // shutting down: not a failure of the source
	}
	s.lockVet()
	defer s.unlock()
	t := s.cfg.Now()
	m.lastFetch = t
	s.counters.Fetches++
	changed := false
	switch {
	case err != nil:
		s.counters.FetchErrors++
	case notModified:
		changed, err = s.repeatHeld(m)
	default:
		changed, err = s.offer(m, data, OriginLive)
	}
	s.schedule(m, t, err)
	return changed, err
}

// schedule sets m's next fetch after an attempt at t. s.mu is held.
func (s *Set) schedule(m *member, t time.Time, err error) {
	m.lastErr = err
	if err == nil || errors.Is(err, ErrHeld) {
		m.lastOK, m.retry = t, s.cfg.RetryMin
		m.nextFetch = t.Add(s.interval(m))
		return
	}
	wait := min(m.retry, s.interval(m))
	m.retry = min(m.retry*2, s.cfg.RetryMax)
	m.nextFetch = t.Add(wait)
	s.log.Warn("service-tag fetch failed; keeping the document in force", "source", m.name,
		"in_force", s.describe(m, t), "retry_in", wait.String(), "err", err)
}
