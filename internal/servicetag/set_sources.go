package servicetag

import (
	"errors"
	"fmt"
	"slices"
)

// SetSources replaces the list of sources (a gateway config reload): a
// source whose Location stays keeps its document in force, hold, schedule
// and cache; a new one is loaded as Load does (cache, else snapshot) and
// fetched at once by Run; a removed one is forgotten (its cache file
// stays). The catalog is rebuilt in the new priority order (Current is
// nil when no source left has a document). A new source whose cache or
// snapshot defines a tag name another feed's source has in force is an
// error (ErrDuplicateTag). On error nothing changes. An empty list is an error: a Set always has a source.
func (s *Set) SetSources(sources []SourceConfig) error {
	if len(sources) == 0 {
		return errors.New("set service-tag sources: no sources")
	}
	s.mu.Lock()
	old := map[string]*member{}
	for _, m := range s.members {
		old[m.name] = m
	}
	var next, fresh []*member
	for i, sc := range sources {
		loc := sc.Name()
		if slices.ContainsFunc(next, func(m *member) bool { return m.name == loc }) {
			s.mu.Unlock()
			return fmt.Errorf("set service-tag sources: sources[%d] %q is listed twice", i, loc)
		}
		if m, ok := old[loc]; ok && sc.Source == nil && sc.Feed == m.cfg.Feed {
			m.cfg.Refresh, m.cfg.Snapshot = sc.Refresh, sc.Snapshot
			next = append(next, m)
			continue
		}
		m, err := s.newMember(sc)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("set service-tag sources: sources[%d]: %w", i, err)
		}
		next, fresh = append(next, m), append(fresh, m)
	}
	now := s.cfg.Now()
	for _, m := range fresh {
		if err := s.loadMember(m, next); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("set service-tag sources: %w", err)
		}
		m.nextFetch = now
	}
	s.members = next
	s.rebuild()
	s.saveStateLogged()
	s.unlock()
	select { // wake Run: a new source is due now
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// memberList returns the current sources.
func (s *Set) memberList() []*member {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members)
}
