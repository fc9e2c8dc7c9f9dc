package servicetag

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag/snapshot"
)

// pin keeps one tag at one version.
type pin struct {
	tag   Tag // a copy of the pinned version
	since time.Time
}

// Pin keeps tag at the version whose tag changeNumber is changeNumber: the
// catalog in force carries that version's prefixes for tag, whatever later
// documents say (and even if the tag disappears), until Unpin. The version
// must be one the Set has seen: in force, held, previously in force, in a
// source's embedded snapshot, or already pinned; anything else is
// ErrUnknownVersion. A pinned tag is exempt from the in-use update check.
// Pins are kept in the cache dir, so a restart keeps them.
func (s *Set) Pin(tag string, changeNumber int64) error {
	s.mu.Lock()
	defer s.unlock()
	t, err := s.version(tag, changeNumber)
	if err != nil {
		return err
	}
	s.pins[strings.ToLower(t.Name)] = &pin{tag: t, since: s.cfg.Now()}
	s.log.Info("service tag pinned", "tag", t.Name, "changeNumber", changeNumber, "prefixes", len(t.Prefixes))
	s.rebuild()
	return s.saveState()
}

// FindVersion returns a copy of tag at changeNumber from the documents the
// Set knows (Pin's rule), or an error wrapping ErrUnknownVersion that
// lists the versions seen. A fleet uses it to share a pin's prefixes with
// replicas that never saw that version.
func (s *Set) FindVersion(tag string, changeNumber int64) (Tag, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version(tag, changeNumber)
}

// version is FindVersion; s.mu is held.
func (s *Set) version(tag string, changeNumber int64) (Tag, error) {
	found, seen := s.findVersion(tag, changeNumber)
	if found == nil {
		if len(seen) == 0 {
			return Tag{}, fmt.Errorf("pin service tag %q at changeNumber %d: %w: no source has this tag", tag, changeNumber, ErrUnknownVersion)
		}
		return Tag{}, fmt.Errorf("pin service tag %q at changeNumber %d: %w (versions seen: %v)", tag, changeNumber, ErrUnknownVersion, seen)
	}
	return cloneTag(*found), nil
}

func cloneTag(t Tag) Tag {
	t.Prefixes = slices.Clone(t.Prefixes)
	t.NetworkFeatures = slices.Clone(t.NetworkFeatures)
	return t
}

// Pinned returns copies of the pinned tags, by name.
func (s *Set) Pinned() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, 0, len(s.pins))
	for _, p := range s.pins {
		out = append(out, cloneTag(p.tag))
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// SetPins makes the pins exactly tags (each kept at the version given,
// prefixes included), as a fleet replays the pins its operator made on
// any replica: tags not given are unpinned, a tag already pinned at the
// same changeNumber keeps its pin. It reports whether the pins changed.
// A tag with no name is refused, and then nothing changes.
func (s *Set) SetPins(tags []Tag) (bool, error) {
	want := make(map[string]Tag, len(tags))
	for _, t := range tags {
		if t.Name == "" {
			return false, fmt.Errorf("set service-tag pins: %w: a pin names no tag", ErrUnknownVersion)
		}
		want[strings.ToLower(t.Name)] = t
	}
	s.mu.Lock()
	defer s.unlock()
	changed := false
	for key, p := range s.pins {
		if _, ok := want[key]; !ok {
			delete(s.pins, key)
			s.log.Info("service tag unpinned (fleet)", "tag", p.tag.Name, "was_changeNumber", p.tag.ChangeNumber)
			changed = true
		}
	}
	for key, t := range want {
		if p, ok := s.pins[key]; ok && p.tag.ChangeNumber == t.ChangeNumber && slices.Equal(p.tag.Prefixes, t.Prefixes) {
			continue
		}
		s.pins[key] = &pin{tag: cloneTag(t), since: s.cfg.Now()}
		s.log.Info("service tag pinned (fleet)", "tag", t.Name, "changeNumber", t.ChangeNumber, "prefixes", len(t.Prefixes))
		changed = true
	}
	if !changed {
		return false, nil
	}
	s.rebuild()
	return true, s.saveState()
}

// Unpin releases a pin made by Pin; the tag follows its source again.
func (s *Set) Unpin(tag string) error {
	s.mu.Lock()
	defer s.unlock()
	key := strings.ToLower(tag)
	p, ok := s.pins[key]
	if !ok {
		return fmt.Errorf("unpin service tag %q: %w", tag, ErrNotPinned)
	}
	delete(s.pins, key)
	s.log.Info("service tag unpinned", "tag", p.tag.Name, "was_changeNumber", p.tag.ChangeNumber)
	s.rebuild()
	return s.saveState()
}

// findVersion looks for tag at changeNumber in every document the Set
// knows, and returns it or the versions seen. s.mu is held.
func (s *Set) findVersion(name string, changeNumber int64) (*Tag, []int64) {
	var seen []int64
	look := func(doc *Document) *Tag {
		if doc == nil {
			return nil
		}
		for i := range doc.Tags {
			if t := &doc.Tags[i]; strings.EqualFold(t.Name, name) {
				if t.ChangeNumber == changeNumber {
					return t
				}
				seen = append(seen, t.ChangeNumber)
			}
		}
		return nil
	}
	if p := s.pins[strings.ToLower(name)]; p != nil {
		if t := look(&Document{Tags: []Tag{p.tag}}); t != nil {
			return t, nil
		}
	}
	for _, m := range s.members {
		docs := []*Document{m.prev}
		if cur := m.keeper.Current(); cur != nil {
			docs = append(docs, cur.doc)
		}
		if m.held != nil {
			docs = append(docs, m.held.doc)
		}
		for _, d := range docs {
			if t := look(d); t != nil {
				return t, nil
			}
		}
	}
	for _, m := range s.members {
		if m.cfg.Snapshot == "" || m.origin == OriginEmbedded {
			continue // none, or already looked at as the document in force
		}
		if doc, _, _, err := LoadSnapshot(m.cfg.Snapshot); err == nil {
			if t := look(doc); t != nil {
				return t, nil
			}
		}
	}
	slices.Sort(seen)
	return nil, slices.Compact(seen)
}

// rebuild makes the merged catalog of every source's document in force
// and the pins the one in force; unlock then calls OnChange. s.mu is held.
func (s *Set) rebuild() {
	var cat *Catalog
	if len(s.members) == 1 && len(s.pins) == 0 {
		cat = s.members[0].keeper.Current()
	} else {
		cat = s.merge()
	}
	if cat == s.cur.Load() {
		return
	}
	s.cur.Store(cat) // nil only after SetSources left no source with a document
}

// merge applies the multi-source rule (first source defining a name wins)
// and the pins. It returns nil when no source has a document.
func (s *Set) merge() *Catalog {
	merged := &Document{Format: FormatDownload}
	var clouds []string
	seen := map[string]bool{}
	owner := map[string]Feed{}
	for _, m := range s.members {
		m.shadowed = 0
		cur := m.keeper.Current()
		if cur == nil {
			continue
		}
		d := cur.doc
		feed := docFeed(d)
		if !slices.Contains(clouds, d.Cloud) {
			clouds = append(clouds, d.Cloud)
		}
		if feed == FeedAzure { // a feed's version is its own (Status); see AzureOnly
			merged.ChangeNumber += d.ChangeNumber
		}
		for i := range d.Tags {
			key := strings.ToLower(d.Tags[i].Name)
			if seen[key] {
				if owner[key] != feed { // checkFeed keeps this out; never serve an ambiguous name from the later feed
					s.log.Error("service tag defined by two feeds; the later source's is left out", "source", m.name, "tag", d.Tags[i].Name)
				}
				m.shadowed++
				continue
			}
			seen[key], owner[key] = true, feed
			if p := s.pins[key]; p != nil {
				merged.Tags = append(merged.Tags, p.tag)
			} else {
				merged.Tags = append(merged.Tags, d.Tags[i])
			}
		}
		if m.shadowed > 0 {
			s.log.Debug("service tags shadowed by an earlier source", "source", m.name, "tags", m.shadowed)
		}
	}
	if len(clouds) == 0 {
		return nil
	}
	var gone []string // pinned tags no source has now: they stay
	for key := range s.pins {
		if !seen[key] {
			gone = append(gone, key)
		}
	}
	slices.Sort(gone)
	for _, key := range gone {
		merged.Tags = append(merged.Tags, s.pins[key].tag)
	}
	merged.Cloud = strings.Join(clouds, "+")
	return NewCatalog(merged)
}

// LoadSnapshot parses the newest embedded snapshot of key (e.g.
// "azure-public" or "github-meta", see package snapshot) and returns it
// with its metadata and bytes: Azure's as published, another feed's in the
// download format (MarshalDownload), byte for byte what AsDownload returns
// for the same published document, so a fetch of it confirms the snapshot.
func LoadSnapshot(key string) (*Document, snapshot.Info, []byte, error) {
	info, ok := snapshot.Latest(key)
	if !ok {
		return nil, info, nil, fmt.Errorf("load embedded service tags %q: %w", key, snapshot.ErrNotFound)
	}
	data, err := snapshot.Read(info.Name)
	if err != nil {
		return nil, info, nil, fmt.Errorf("load embedded service tags %q: %w", key, err)
	}
	doc, err := ParseFeed("embedded:"+info.Name, data)
	if err == nil && docFeed(doc) != FeedAzure {
		data, err = MarshalDownload(doc) // what AsDownload hands on for the same document
	}
	if err != nil {
		return nil, info, nil, fmt.Errorf("load embedded service tags %q: %w", key, err)
	}
	return doc, info, data, nil
}
