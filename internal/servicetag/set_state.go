package servicetag

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stateName is the operator state file in the cache dir.
const stateName = "servicetags-state.json"

// stateFile is what survives a restart beside the cached documents: pins
// (with the pinned prefixes, so no old document is needed) and holds (the
// held raw document is in <hash>.held.json).
type stateFile struct {
	Version int         `json:"version"`
	Pins    []statePin  `json:"pins"`
	Holds   []stateHold `json:"holds"`
}

type statePin struct {
	Since time.Time   `json:"since"`
	Tag   downloadTag `json:"tag"`
}

type stateHold struct {
	Source  string    `json:"source"`
	SHA256  string    `json:"sha256"`
	Repeats int       `json:"repeats"`
	Since   time.Time `json:"since"`
	Origin  Origin    `json:"origin"`
}

// saveState writes the pins and holds. s.mu is held.
func (s *Set) saveState() error {
	if s.cfg.CacheDir == "" {
		return nil
	}
	st := stateFile{Version: 1, Pins: []statePin{}, Holds: []stateHold{}}
	for _, p := range s.pins {
		st.Pins = append(st.Pins, statePin{Since: p.since, Tag: toDownloadTag(&p.tag)})
	}
	for _, m := range s.members {
		if h := m.held; h != nil {
			st.Holds = append(st.Holds, stateHold{Source: m.name, SHA256: hex.EncodeToString(h.sum[:]),
				Repeats: h.repeats, Since: h.since, Origin: h.origin})
		}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err == nil {
		err = writeFileAtomic(filepath.Join(s.cfg.CacheDir, stateName), data)
	}
	if err != nil {
		return fmt.Errorf("save service-tag pins and holds: %w", err)
	}
	return nil
}

func (s *Set) saveStateLogged() {
	if err := s.saveState(); err != nil {
		s.log.Error("service-tag pins and holds not saved; they hold until restart", "err", err)
	}
}

// persistHold writes m's held document and the state. s.mu is held.
func (s *Set) persistHold(m *member) {
	if s.cfg.CacheDir == "" {
		return
	}
	if err := writeFileAtomic(s.path(m.name, ".held.json"), m.held.data); err != nil {
		s.log.Error("held service-tag document not saved; it is held until restart", "source", m.name, "err", err)
	}
	s.saveStateLogged()
}

// loadState restores pins and holds written by saveState. A missing file
// is no state; a damaged one is an error (logged; pins are then lost, so
// the operator must hear of it). s.mu is held.
func (s *Set) loadState() error {
	if s.cfg.CacheDir == "" {
		return nil
	}
	path := filepath.Join(s.cfg.CacheDir, stateName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var st stateFile
	if err == nil {
		err = json.Unmarshal(data, &st)
	}
	if err == nil && st.Version != 1 {
		err = fmt.Errorf("version %d, want 1", st.Version)
	}
	if err != nil {
		err = fmt.Errorf("load service-tag pins and holds %q: %w", path, err)
		s.log.Error("service-tag pins and holds lost", "err", err)
		return err
	}
	var errs []error
	for _, sp := range st.Pins {
		if err := s.restorePin(sp); err != nil {
			errs = append(errs, fmt.Errorf("load service-tag pins %q: %w", path, err))
		}
	}
	for _, sh := range st.Holds {
		s.restoreHold(sh)
	}
	for _, err := range errs {
		s.log.Error("service-tag pin lost", "err", err)
	}
	return errors.Join(errs...)
}

func (s *Set) restorePin(sp statePin) error {
	t := Tag{Name: sp.Tag.Name, ID: sp.Tag.ID, ChangeNumber: sp.Tag.Properties.ChangeNumber, Region: sp.Tag.Properties.Region,
		RegionID: sp.Tag.Properties.RegionID, Platform: sp.Tag.Properties.Platform, SystemService: sp.Tag.Properties.SystemService,
		NetworkFeatures: sp.Tag.Properties.NetworkFeatures}
	if len(sp.Tag.Properties.AddressPrefixes) > 0 {
		t.Prefixes = sp.Tag.Properties.AddressPrefixes
	}
	check := &Document{Cloud: "pin", Tags: []Tag{t}}
	if err := check.Validate(); err != nil || t.Name == "" {
		return fmt.Errorf("pin of %q: %w", t.Name, err)
	}
	s.pins[strings.ToLower(t.Name)] = &pin{tag: t, since: sp.Since}
	return nil
}

// restoreHold puts a held document back beside the one in force, after
// checking it against its checksum and the update rule again.
func (s *Set) restoreHold(sh stateHold) {
	m, err := s.member(sh.Source)
	if err != nil || m.name != sh.Source {
		return // the source is no longer configured
	}
	path := s.path(m.name, ".held.json")
	data, err := os.ReadFile(path)
	sum := sha256.Sum256(data)
	if err == nil && hex.EncodeToString(sum[:]) != sh.SHA256 {
		err = errors.New("checksum mismatch")
	}
	var doc *Document
	if err == nil {
		doc, err = Parse(path, data)
	}
	if err != nil {
		s.log.Error("held service-tag document lost; the next fetch decides again", "source", m.name, "err", err)
		return
	}
	reasons, regressionOnly := s.vet(m, doc)
	if len(reasons) == 0 {
		return // it now passes: the next fetch installs it
	}
	m.held = &hold{doc: doc, data: data, sum: sum, reasons: reasons, regressionOnly: regressionOnly,
		repeats: sh.Repeats, since: sh.Since, origin: sh.Origin}
	s.holdChanged(m)
	s.log.Warn("service-tag document still held from before the restart", "source", m.name,
		"held_changeNumber", doc.ChangeNumber, "reasons", strings.Join(reasons, "; "))
}
