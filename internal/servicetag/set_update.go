package servicetag

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

// hold is a valid document that failed the update checks, kept beside the
// one in force.
type hold struct {
	doc            *Document
	data           []byte
	sum            [sha256.Size]byte
	reasons        []string
	regressionOnly bool // the only fault is a lower changeNumber
	repeats        int  // consecutive fetches (or Installs) that brought it
	since          time.Time
	origin         Origin
}

// Install offers a document another replica fetched (data as the source
// served it) for source ("" for the only one): the same parse, validation
// and update checks as a fetch, with origin "replica". It reports whether
// the catalog in force changed; a held document's error wraps ErrHeld.
func (s *Set) Install(source string, data []byte) (bool, error) {
	s.lockVet()
	defer s.unlock()
	m, err := s.member(source)
	if err != nil {
		return false, fmt.Errorf("install service tags: %w", err)
	}
	return s.offer(m, data, OriginReplica)
}

// Accept installs the document held for source ("" for the only source),
// whatever the update checks said. It returns ErrNoHold when there is none.
func (s *Set) Accept(source string) error {
	s.mu.Lock()
	defer s.unlock()
	m, err := s.member(source)
	if err != nil {
		return fmt.Errorf("accept service tags: %w", err)
	}
	h := m.held
	if h == nil {
		return fmt.Errorf("accept service tags of %q: %w", m.name, ErrNoHold)
	}
	if err := checkFeed(m, h.doc, s.members); err != nil {
		return fmt.Errorf("accept service tags of %q: %w", m.name, err) // Accept overrides the update checks, never an ambiguous name
	}
	s.counters.Accepts++
	s.installDoc(m, h.data, h.sum, h.doc, OriginAccepted, "accepted by the operator", true)
	return nil
}

// AcceptDocument installs data for source ("" for the only source) after
// parsing and validating it but without the update checks, as Accept does
// for a held document: a fleet uses it to replay an operator's Accept on
// the other replicas (which would otherwise hold the same document). It
// reports whether the catalog in force changed.
func (s *Set) AcceptDocument(source string, data []byte) (bool, error) {
	s.mu.Lock()
	defer s.unlock()
	m, err := s.member(source)
	if err != nil {
		return false, fmt.Errorf("accept service tags: %w", err)
	}
	doc, err := Parse(m.name, data)
	if err == nil {
		err = checkFeed(m, doc, s.members)
	}
	if err != nil {
		return false, fmt.Errorf("accept service tags of %q: %w", m.name, err)
	}
	sum := sha256.Sum256(data)
	if m.keeper.Current() != nil && sum == m.inForceSum() {
		s.dropHold(m, "the document in force was accepted")
		return false, nil
	}
	s.counters.Accepts++
	return s.installDoc(m, data, sum, doc, OriginAccepted, "accepted by the operator (replicated)", false), nil
}

// HeldDiff returns what installing the document held for source ("" for
// the only source) would change against the one in force (for `servicetags
// status`), or ErrNoHold.
func (s *Set) HeldDiff(source string) (DiffResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.member(source)
	if err != nil {
		return DiffResult{}, fmt.Errorf("diff held service tags: %w", err)
	}
	if m.held == nil {
		return DiffResult{}, fmt.Errorf("diff held service tags of %q: %w", m.name, ErrNoHold)
	}
	var cur *Document
	if c := m.keeper.Current(); c != nil {
		cur = c.doc
	}
	return Diff(cur, m.held.doc), nil
}

// offer vets data from m and installs or holds it. s.mu is held.
func (s *Set) offer(m *member, data []byte, origin Origin) (bool, error) {
	sum := sha256.Sum256(data)
	if m.keeper.Current() != nil && sum == m.inForceSum() {
		s.dropHold(m, "the source serves the document in force")
		s.confirm(m, data, origin)
		return false, nil
	}
	if m.held != nil && sum == m.held.sum {
		return s.repeatHeld(m)
	}
	doc, err := Parse(m.name, data)
	if err == nil {
		err = checkFeed(m, doc, s.members)
	}
	if err != nil {
		s.counters.Rejected++
		return false, err
	}
	if cur := m.keeper.Current(); cur != nil && sameUnversioned(cur.doc, doc) {
		s.dropHold(m, "the source serves the document in force (same content)")
		s.confirm(m, data, origin)
		return false, nil
	}
	if m.held != nil && sameUnversioned(m.held.doc, doc) {
		return s.repeatHeld(m)
	}
	reasons, regressionOnly := s.vet(m, doc)
	if len(reasons) == 0 {
		return s.installDoc(m, data, sum, doc, origin, "passed the update checks", false), nil
	}
	s.dropHold(m, "the source serves another document")
	m.held = &hold{doc: doc, data: data, sum: sum, reasons: reasons, regressionOnly: regressionOnly,
		repeats: 1, since: s.cfg.Now(), origin: origin}
	s.counters.Holds++
	s.persistHold(m)
	s.holdChanged(m)
	s.log.Warn("service-tag document held, not installed; the document in force stays", "source", m.name,
		"held_changeNumber", doc.ChangeNumber, "in_force", s.describe(m, s.cfg.Now()), "reasons", strings.Join(reasons, "; "))
	return s.autoAccept(m)
}

// repeatHeld counts one more fetch of the held document and checks it
// again (the tags in use or the pins may have changed). s.mu is held.
func (s *Set) repeatHeld(m *member) (bool, error) {
	h := m.held
	if h == nil {
		return false, nil
	}
	h.repeats++
	h.reasons, h.regressionOnly = s.vet(m, h.doc)
	if len(h.reasons) == 0 {
		return s.installDoc(m, h.data, h.sum, h.doc, h.origin, "the held document passes the update checks now", false), nil
	}
	s.saveStateLogged()
	return s.autoAccept(m)
}

// autoAccept installs a held document whose only fault is a regressed
// changeNumber once RegressionRepeats fetches brought it. s.mu is held.
func (s *Set) autoAccept(m *member) (bool, error) {
	h := m.held
	if h.regressionOnly && h.repeats >= s.cfg.RegressionRepeats {
		s.counters.AutoAccepts++
		why := fmt.Sprintf("the source served this lower changeNumber %d times in a row", h.repeats)
		return s.installDoc(m, h.data, h.sum, h.doc, h.origin, why, true), nil
	}
	return false, s.heldErr(m)
}

func (s *Set) heldErr(m *member) error {
	h := m.held
	next := "Accept installs it"
	if h.regressionOnly {
		next = fmt.Sprintf("installed after %d consecutive fetches (%d so far) or by Accept", s.cfg.RegressionRepeats, h.repeats)
	}
	return fmt.Errorf("offer service tags from %q (%s): %w: %s; %s stays in force; %s",
		m.name, versionText(h.doc), ErrHeld, strings.Join(h.reasons, "; "), versionText(m.keeper.Current().doc), next)
}

// installDoc puts a vetted document in force for m. s.mu is held.
func (s *Set) installDoc(m *member, data []byte, sum [sha256.Size]byte, doc *Document, origin Origin, why string, overridden bool) bool {
	old := m.keeper.Current()
	m.keeper.mu.Lock()
	changed := m.keeper.put(data, sum, doc, true)
	m.keeper.mu.Unlock()
	if old != nil && changed {
		m.prev = old.doc
	}
	m.origin, m.since, m.published = origin, s.cfg.Now(), time.Time{}
	if m.held != nil && m.held.sum != sum {
		s.dropHold(m, "another document was installed")
	}
	s.dropHold(m, "")
	s.counters.Installs++
	attrs := []any{"source", m.name, "changeNumber", doc.ChangeNumber, "tags", len(doc.Tags), "origin", origin, "why", why}
	if old != nil {
		d := Diff(old.doc, doc)
		added, removed := d.PrefixCounts()
		attrs = append(attrs, "from_changeNumber", old.doc.ChangeNumber, "tags_added", len(d.Added),
			"tags_removed", len(d.Removed), "tags_changed", len(d.Changed), "prefixes_added", added, "prefixes_removed", removed)
	}
	s.log.Info("service-tag document installed", attrs...)
	if st := m.keeper.Status(); st.CacheError != nil {
		s.log.Warn("service-tag cache not written; the document is in force", "source", m.name, "err", st.CacheError)
	}
	s.rebuild()
	if s.cfg.OnInstall != nil && (origin == OriginLive || overridden) {
		name, fn := m.name, s.cfg.OnInstall
		s.after = append(s.after, func() { fn(name, data, overridden) })
	}
	return changed
}

// confirm records that a source served the document in force: a cache or
// snapshot document becomes live (and the snapshot is cached). s.mu is held.
func (s *Set) confirm(m *member, data []byte, origin Origin) {
	if origin != OriginLive || m.origin == OriginLive || m.origin == OriginAccepted {
		return
	}
	if m.origin == OriginEmbedded && m.keeper.cacheFile != "" {
		if err := writeFileAtomic(m.keeper.cacheFile, data); err != nil {
			s.log.Warn("service-tag cache not written", "source", m.name, "err", err)
		}
	}
	m.origin, m.since, m.published = OriginLive, s.cfg.Now(), time.Time{}
	s.log.Info("the source confirms the service tags in force", "source", m.name, "in_force", s.describe(m, m.since))
}

// dropHold forgets m's held document; why ("" for none) is logged. s.mu
// is held.
func (s *Set) dropHold(m *member, why string) {
	if m.held == nil {
		return
	}
	if why != "" {
		s.log.Info("held service-tag document dropped", "source", m.name, "held_changeNumber", m.held.doc.ChangeNumber, "why", why)
	}
	m.held = nil
	if s.cfg.CacheDir != "" {
		_ = os.Remove(s.path(m.name, ".held.json"))
	}
	s.saveStateLogged()
	s.holdChanged(m)
}

// holdChanged queues the OnHold call for m's hold as it is now. s.mu is
// held.
func (s *Set) holdChanged(m *member) {
	if s.cfg.OnHold == nil {
		return
	}
	name, fn := m.name, s.cfg.OnHold
	var data []byte
	var st *HeldStatus
	if m.held != nil {
		data, st = m.held.data, m.heldStatus()
	}
	s.after = append(s.after, func() { fn(name, data, st) })
}

// inForceSum returns the SHA-256 of the raw document in force.
func (m *member) inForceSum() [sha256.Size]byte {
	m.keeper.mu.Lock()
	defer m.keeper.mu.Unlock()
	return m.keeper.sum
}

// vet checks doc against the document in force for m and returns why it
// must be held (nil: install it) and whether a regressed changeNumber is
// the only reason. s.mu is held.
func (s *Set) vet(m *member, doc *Document) (reasons []string, regressionOnly bool) {
	cur := m.keeper.Current()
	if cur == nil {
		return nil, false
	}
	old := cur.doc
	if !strings.EqualFold(old.Cloud, doc.Cloud) {
		reasons = append(reasons, fmt.Sprintf("cloud %q differs from %q in force", doc.Cloud, old.Cloud))
	}
	reasons = append(reasons, s.checkInUse(cur, doc)...)
	if doc.ChangeNumber < old.ChangeNumber {
		reasons = append(reasons, fmt.Sprintf("%v from %d to %d", ErrRegression, old.ChangeNumber, doc.ChangeNumber))
		return reasons, len(reasons) == 1
	}
	return reasons, false
}

// checkInUse reports every tag in use (InUse ∪ Guard, not pinned) of the
// catalog in force that doc drops or shrinks by more than MaxShrink.
func (s *Set) checkInUse(cur *Catalog, doc *Document) []string {
	want := map[string]*Tag{}
	for _, n := range append(slices.Clone(s.inUse), s.cfg.Guard...) {
		key := strings.ToLower(n)
		if _, pinned := s.pins[key]; pinned {
			continue
		}
		if t, ok := cur.Lookup(n); ok {
			want[key] = t
		}
	}
	if len(want) == 0 {
		return nil
	}
	got := make(map[string]*Tag, len(want))
	for i := range doc.Tags {
		if key := strings.ToLower(doc.Tags[i].Name); want[key] != nil {
			got[key] = &doc.Tags[i]
		}
	}
	var reasons []string
	for key, ot := range want {
		nt := got[key]
		if nt == nil {
			reasons = append(reasons, fmt.Sprintf("tag %q is in use and would disappear", ot.Name))
			continue
		}
		if lost, total := lostPrefixes(ot.Prefixes, nt.Prefixes); total > 0 && float64(lost)/float64(total) > s.cfg.MaxShrink {
			reasons = append(reasons, fmt.Sprintf("tag %q is in use and would lose %d of its %d prefixes (more than %.0f%%)",
				ot.Name, lost, total, s.cfg.MaxShrink*100))
		}
	}
	slices.Sort(reasons)
	return reasons
}

// lostPrefixes counts the distinct prefixes of old that new lacks.
func lostPrefixes(old, new []netip.Prefix) (lost, total int) {
	have := make(map[netip.Prefix]bool, len(new))
	for _, p := range new {
		have[p] = true
	}
	seen := make(map[netip.Prefix]bool, len(old))
	for _, p := range old {
		if seen[p] {
			continue
		}
		seen[p] = true
		if !have[p] {
			lost++
		}
	}
	return lost, len(seen)
}
