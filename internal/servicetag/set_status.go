package servicetag

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SetStatus is a Set's state for metrics, /readyz and `servicetags status`.
type SetStatus struct {
	// The merged catalog in force (Cloud "" and Tags 0 before any).
	Cloud        string         `json:"cloud"`
	ChangeNumber int64          `json:"changeNumber"`
	Tags         int            `json:"tags"`
	Sources      []SourceStatus `json:"sources"` // in priority order
	Pins         []PinStatus    `json:"pins"`    // sorted by tag
	Counters     Counters       `json:"counters"`
}

// Ready reports whether a catalog is in force (every source may still be
// on its cache or snapshot; see each SourceStatus.Origin).
func (st SetStatus) Ready() bool { return st.Tags > 0 }

// Held counts the sources holding a document.
func (st SetStatus) Held() int {
	n := 0
	for _, s := range st.Sources {
		if s.Held != nil {
			n++
		}
	}
	return n
}

// SourceStatus is one source's state. Its JSON form has the errors as
// strings ("error", "cacheError") and the age in whole seconds.
type SourceStatus struct {
	Source       string `json:"source"`
	Origin       Origin `json:"origin"`       // of the document in force
	InForce      string `json:"inForce"`      // e.g. "embedded snapshot, changeNumber 373, published 2025-10-13"
	Cloud        string `json:"cloud"`        // of the document in force
	ChangeNumber int64  `json:"changeNumber"` // in force; 0 when none
	// Feed of the document in force when it is another cloud's ("github",
	// …; "" for Azure's) and, for a feed
	// that publishes no version (changeNumber 0), its content hash
	// (Document.Digest).
	Feed        Feed          `json:"feed,omitempty"`
	Digest      string        `json:"digest,omitempty"`
	Tags        int           `json:"tags"`
	Published   time.Time     `json:"published,omitzero"`   // the embedded snapshot's publication date
	Since       time.Time     `json:"since,omitzero"`       // fetched, cached (file time), received, accepted or published
	Age         time.Duration `json:"-"`                    // now − Since
	Shadowed    int           `json:"shadowed"`             // tags hidden by an earlier source of the same name
	LastFetch   time.Time     `json:"lastFetch,omitzero"`   // last attempt
	LastSuccess time.Time     `json:"lastSuccess,omitzero"` // last attempt that returned a document or not-modified
	NextFetch   time.Time     `json:"nextFetch,omitzero"`
	Err         error         `json:"-"` // of the last attempt (wraps ErrHeld for a hold); nil after a success
	CacheErr    error         `json:"-"` // of the last cache write
	Held        *HeldStatus   `json:"held,omitempty"`
}

// MarshalJSON writes the status with errors as strings and the age in
// seconds.
func (ss SourceStatus) MarshalJSON() ([]byte, error) {
	type plain SourceStatus
	out := struct {
		plain
		AgeSeconds int64  `json:"ageSeconds"`
		Error      string `json:"error,omitempty"`
		CacheError string `json:"cacheError,omitempty"`
	}{plain: plain(ss), AgeSeconds: int64(ss.Age / time.Second)}
	if ss.Err != nil {
		out.Error = ss.Err.Error()
	}
	if ss.CacheErr != nil {
		out.CacheError = ss.CacheErr.Error()
	}
	return json.Marshal(out)
}

// HeldStatus describes a held document.
type HeldStatus struct {
	Cloud          string    `json:"cloud"`
	ChangeNumber   int64     `json:"changeNumber"`
	Digest         string    `json:"digest,omitempty"` // content hash when changeNumber is 0
	Tags           int       `json:"tags"`
	Reasons        []string  `json:"reasons"`
	RegressionOnly bool      `json:"regressionOnly"` // installed after RegressionRepeats fetches
	Repeats        int       `json:"repeats"`        // consecutive fetches that brought it
	Since          time.Time `json:"since"`
	Origin         Origin    `json:"origin"`
}

// PinStatus describes a pin.
type PinStatus struct {
	Tag          string    `json:"tag"`
	ChangeNumber int64     `json:"changeNumber"`
	Prefixes     int       `json:"prefixes"`
	Since        time.Time `json:"since"`
}

// Counters count a Set's events since start (monotonic, for metrics).
type Counters struct {
	Fetches     uint64 `json:"fetches"`     // fetch attempts
	FetchErrors uint64 `json:"fetchErrors"` // attempts that failed (network, status, size)
	Rejected    uint64 `json:"rejected"`    // documents that did not parse or validate
	Installs    uint64 `json:"installs"`    // documents put in force (any way)
	Holds       uint64 `json:"holds"`       // documents held
	AutoAccepts uint64 `json:"autoAccepts"` // held regressions installed after RegressionRepeats fetches
	Accepts     uint64 `json:"accepts"`     // held documents installed by Accept or AcceptDocument
}

// Status returns the Set's state.
func (s *Set) Status() SetStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var st SetStatus
	if cat := s.cur.Load(); cat != nil {
		st.Cloud, st.ChangeNumber, st.Tags = cat.doc.Cloud, cat.doc.ChangeNumber, len(cat.doc.Tags)
	}
	for _, m := range s.members {
		st.Sources = append(st.Sources, s.sourceStatus(m, now))
	}
	for _, p := range s.pins {
		st.Pins = append(st.Pins, PinStatus{Tag: p.tag.Name, ChangeNumber: p.tag.ChangeNumber, Prefixes: len(p.tag.Prefixes), Since: p.since})
	}
	slices.SortFunc(st.Pins, func(a, b PinStatus) int { return strings.Compare(a.Tag, b.Tag) })
	st.Counters = s.counters
	return st
}

func (s *Set) sourceStatus(m *member, now time.Time) SourceStatus {
	ss := SourceStatus{Source: m.name, Origin: m.origin, InForce: s.describe(m, now), Published: m.published, Since: m.since,
		Shadowed: m.shadowed, LastFetch: m.lastFetch, LastSuccess: m.lastOK, NextFetch: m.nextFetch, Err: m.lastErr,
		CacheErr: m.keeper.Status().CacheError}
	if cur := m.keeper.Current(); cur != nil {
		ss.Cloud, ss.ChangeNumber, ss.Tags = cur.doc.Cloud, cur.doc.ChangeNumber, len(cur.doc.Tags)
		ss.Age = now.Sub(m.since)
		if f := docFeed(cur.doc); f != FeedAzure {
			ss.Feed = f
		}
		if cur.doc.ChangeNumber == 0 {
			ss.Digest = cur.doc.Digest()
		}
	}
	ss.Held = m.heldStatus()
	return ss
}

// heldStatus describes m's held document; nil when none. s.mu is held.
func (m *member) heldStatus() *HeldStatus {
	h := m.held
	if h == nil {
		return nil
	}
	st := &HeldStatus{Cloud: h.doc.Cloud, ChangeNumber: h.doc.ChangeNumber, Tags: len(h.doc.Tags),
		Reasons: slices.Clone(h.reasons), RegressionOnly: h.regressionOnly, Repeats: h.repeats, Since: h.since, Origin: h.origin}
	if h.doc.ChangeNumber == 0 {
		st.Digest = h.doc.Digest()
	}
	return st
}

// describe says which document is in force for m and how old it is, e.g.
// "embedded snapshot, changeNumber 373, published 2025-10-13". s.mu is held.
func (s *Set) describe(m *member, now time.Time) string {
	cur := m.keeper.Current()
	if cur == nil {
		return "none"
	}
	v := versionText(cur.doc)
	at := m.since.UTC().Format(time.RFC3339)
	age := now.Sub(m.since).Round(time.Second)
	switch m.origin {
	case OriginEmbedded:
		return fmt.Sprintf("embedded snapshot, %s, published %s", v, m.published.Format(time.DateOnly))
	case OriginCache:
		return fmt.Sprintf("cache, %s, cached %s (%v ago)", v, at, age)
	case OriginReplica:
		return fmt.Sprintf("replica, %s, received %s (%v ago)", v, at, age)
	case OriginAccepted:
		return fmt.Sprintf("accepted by the operator, %s, at %s (%v ago)", v, at, age)
	}
	return fmt.Sprintf("live, %s, fetched %s (%v ago)", v, at, age)
}
