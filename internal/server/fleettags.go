package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store"
)

// The service-tag operator state of a fleet (distributed mode): the pins
// and the held documents live in the store, so `tagwall servicetags
// status|accept|pin|unpin` answer the same on every replica and every
// front door enforces the same pins.
//
//   - servicetags/pins holds the pinned tags, each at its version with its
//     prefixes (so a replica that never saw that version can enforce it).
//     Pin and Unpin change it with a compare-and-swap write; every replica
//     applies it to its Set (SetPins) from the watch.
//   - servicetags/held/<hash> holds the document a source's fetching
//     replica holds (OnHold), deleted when the hold ends. Status on any
//     replica shows it; Accept on a replica that does not hold it installs
//     it with AcceptDocument, which publishes it as overridden, so the
//     whole fleet (the holder included) installs it.
const (
	sharedPinsKey      = sharedTagsPrefix + "pins"
	sharedHeldPrefix   = sharedTagsPrefix + "held/"
	fleetTagsTimeout   = 30 * time.Second
	fleetStatusTimeout = 2 * time.Second
)

func sharedHeldKey(source string) string { return sharedHeldPrefix + sourceHash(source) }

// sharedPins is the stored pin set.
type sharedPins struct {
	Pins []servicetag.Tag `json:"pins"`
}

// sharedHold is a stored held document.
type sharedHold struct {
	Source string                `json:"source"`
	Status servicetag.HeldStatus `json:"status"`
	Gzip   []byte                `json:"gzip"`
}

// tagAdmin is what the API's service-tag administration calls: the Set
// itself, or in distributed mode the fleet's view of it.
func (m *Main) tagAdmin() api.ServiceTagAdmin {
	if m.distributed() {
		return fleetTags{m}
	}
	return m.tags
}

// fleetTags is api.ServiceTagAdmin over the store's shared state.
type fleetTags struct{ m *Main }

// Status is the Set's status, with each source's hold from the store when
// another replica holds it.
func (f fleetTags) Status() servicetag.SetStatus {
	st := f.m.tags.Status()
	// A short bound: status feeds the console's page, and a store that
	// does not answer leaves it with this replica's own view.
	ctx, cancel := context.WithTimeout(f.m.ctx, fleetStatusTimeout)
	defer cancel()
	for i, s := range st.Sources {
		if s.Held != nil {
			continue
		}
		if held, err := f.m.loadHoldStatus(ctx, s.Source); err == nil && held != nil {
			st.Sources[i].Held = held
		}
	}
	return st
}

// Accept installs the held document of source: this replica's own hold,
// else the one stored by the replica that holds it.
func (f fleetTags) Accept(source string) error {
	err := f.m.tags.Accept(source)
	if !errors.Is(err, servicetag.ErrNoHold) {
		return err
	}
	ctx, cancel := context.WithTimeout(f.m.ctx, fleetTagsTimeout)
	defer cancel()
	src := source
	if src == "" {
		if srcs := f.m.tags.Sources(); len(srcs) == 1 {
			src = srcs[0]
		}
	}
	h, raw, lerr := f.m.loadHold(ctx, src)
	if lerr != nil {
		return fmt.Errorf("accept service tags of %q: read the fleet's held document: %w", src, lerr)
	}
	if h == nil {
		return err // no replica holds one
	}
	if _, err := f.m.tags.AcceptDocument(src, raw); err != nil {
		return err
	}
	// AcceptDocument is the replicas' replay and publishes nothing: store
	// it as overridden, so every replica, the holder too, installs it.
	if err := f.m.publishShared(ctx, src, raw, true); err != nil {
		return fmt.Errorf("accept service tags of %q: installed here, not stored for the fleet: %w", src, err)
	}
	return nil
}

// Pin pins tag at changeNumber for the fleet: the version (with its
// prefixes) from this replica's documents goes into the stored set, then
// into every replica's Set.
func (f fleetTags) Pin(tag string, changeNumber int64) error {
	t, err := f.m.tags.FindVersion(tag, changeNumber)
	if err != nil {
		return err
	}
	return f.m.updatePins(func(pins []servicetag.Tag) ([]servicetag.Tag, error) {
		out := pins[:0:0]
		for _, p := range pins {
			if !strings.EqualFold(p.Name, t.Name) {
				out = append(out, p)
			}
		}
		return append(out, t), nil
	})
}

// Unpin releases tag's pin for the fleet.
func (f fleetTags) Unpin(tag string) error {
	return f.m.updatePins(func(pins []servicetag.Tag) ([]servicetag.Tag, error) {
		out := pins[:0:0]
		for _, p := range pins {
			if !strings.EqualFold(p.Name, tag) {
				out = append(out, p)
			}
		}
		if len(out) == len(pins) {
			return nil, fmt.Errorf("unpin service tag %q: %w", tag, servicetag.ErrNotPinned)
		}
		return out, nil
	})
}

// updatePins changes the stored pin set with edit (compare-and-swap, a few
// retries on a concurrent change), then applies it to this replica's Set
// at once (the watch brings it to the others).
func (m *Main) updatePins(edit func([]servicetag.Tag) ([]servicetag.Tag, error)) error {
	ctx, cancel := context.WithTimeout(m.ctx, fleetTagsTimeout)
	defer cancel()
	for range 5 {
		var cur sharedPins
		var rev int64
		kv, err := m.store.Get(ctx, sharedPinsKey)
		switch {
		case err == nil:
			if err := json.Unmarshal(kv.Value, &cur); err != nil {
				return fmt.Errorf("read the fleet's service-tag pins: %w", err)
			}
			rev = kv.ModRevision
		case errors.Is(err, store.ErrNotFound):
			cur.Pins = m.tags.Pinned() // the first fleet write starts from this replica's pins
		default:
			return fmt.Errorf("read the fleet's service-tag pins: %w", err)
		}
		next, err := edit(cur.Pins)
		if err != nil {
			return err
		}
		b, err := json.Marshal(sharedPins{Pins: next})
		if err != nil {
			return err
		}
		if rev == 0 {
			_, err = m.store.Create(ctx, sharedPinsKey, b)
		} else {
			_, err = m.store.Update(ctx, sharedPinsKey, b, rev)
		}
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store the fleet's service-tag pins: %w", err)
		}
		_, err = m.tags.SetPins(next)
		return err
	}
	return fmt.Errorf("store the fleet's service-tag pins: %w", store.ErrConflict)
}

// applySharedPins puts a stored pin set in force in this replica's Set.
func (m *Main) applySharedPins(kv store.KV) {
	var p sharedPins
	err := json.Unmarshal(kv.Value, &p)
	if err == nil {
		_, err = m.tags.SetPins(p.Pins)
	}
	if err != nil {
		m.log.Error("the fleet's service-tag pins not applied; keeping this replica's", "key", kv.Key, "err", err)
	}
}

// publishHold is the Set's OnHold: it stores (or, when the hold ended,
// deletes) the source's held document for the fleet.
func (m *Main) publishHold(source string, raw []byte, held *servicetag.HeldStatus) {
	ctx, cancel := context.WithTimeout(m.ctx, fleetTagsTimeout)
	defer cancel()
	key := sharedHeldKey(source)
	if raw == nil {
		if _, err := m.store.Delete(ctx, key, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Warn("remove the fleet's held service-tag document", "source", source, "err", err)
		}
		return
	}
	b, err := json.Marshal(sharedHold{Source: source, Status: *held, Gzip: gzipBytes(raw)})
	if err == nil {
		_, err = m.store.Put(ctx, key, b)
	}
	if err != nil {
		m.log.Warn("store the held service-tag document for the fleet", "source", source, "err", err)
	}
}

// loadHold reads the stored hold of source and inflates its document:
// nil when there is none.
func (m *Main) loadHold(ctx context.Context, source string) (*sharedHold, []byte, error) {
	kv, err := m.store.Get(ctx, sharedHeldKey(source))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var h sharedHold
	if err := json.Unmarshal(kv.Value, &h); err != nil {
		return nil, nil, fmt.Errorf("decode the held document of %q: %w", source, err)
	}
	raw, err := gunzipDoc(h.Gzip)
	if err != nil {
		return nil, nil, fmt.Errorf("decode the held document of %q: %w", source, err)
	}
	return &h, raw, nil
}

// loadHoldStatus reads only the status of source's stored hold (nil when
// there is none): what Status shows, without inflating the document.
func (m *Main) loadHoldStatus(ctx context.Context, source string) (*servicetag.HeldStatus, error) {
	kv, err := m.store.Get(ctx, sharedHeldKey(source))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h struct {
		Status servicetag.HeldStatus `json:"status"`
	}
	if err := json.Unmarshal(kv.Value, &h); err != nil {
		return nil, fmt.Errorf("decode the held document of %q: %w", source, err)
	}
	return &h.Status, nil
}
