package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
	"github.com/tagwall/tagwall/internal/store"
)

// Fleet replication of the service tags (distributed mode), through the
// Set's own entry points: one replica (the holder of the claim
// "servicetags/refresh/<hash>", MayFetch) fetches each source; a document
// it puts in force is published gzipped under servicetags/<hash>
// (OnInstall); every replica installs what the watch brings with Install,
// which runs the same update checks, or with AcceptDocument when the
// publisher overrode them (an operator's accept, or a regression served
// RegressionRepeats times). So all replicas enforce the same document and
// the source is fetched once per interval by the fleet.
const (
	sharedTagsPrefix = "servicetags/"
	refreshClaim     = "servicetags/refresh/"
	maxSharedDoc     = 64 << 20 // inflated size cap of a stored document
)

// sharedDoc is the stored form of one source's document in force.
type sharedDoc struct {
	Source       string    `json:"source"`
	ChangeNumber int64     `json:"changeNumber"`
	SHA256       string    `json:"sha256"` // of the raw document
	FetchedAt    time.Time `json:"fetchedAt"`
	Overridden   bool      `json:"overridden,omitempty"` // install with AcceptDocument
	Gzip         []byte    `json:"gzip"`                 // the raw document, gzipped
}

// sourceHash names a source in keys (servicetag.CacheName without ext).
func sourceHash(s string) string { return servicetag.CacheName(s, "") }

func sharedKey(source string) string { return sharedTagsPrefix + sourceHash(source) }

// mayFetchTags is the Set's MayFetch: only the holder of the source's
// claim fetches, and a new holder only once the stored document is one
// interval old.
func (m *Main) mayFetchTags(ctx context.Context, source string) bool {
	cctx, cancel := context.WithTimeout(ctx, m.cfg.ClaimTTL)
	held, err := m.dist.claims.Claim(cctx, refreshClaim+sourceHash(source))
	cancel()
	if !held {
		if err != nil && ctx.Err() == nil {
			m.log.Debug("service-tag refresh claim", "source", source, "err", err)
		}
		return false
	}
	kv, err := m.store.Get(ctx, sharedKey(source))
	var d sharedDoc
	if err != nil || json.Unmarshal(kv.Value, &d) != nil || d.FetchedAt.IsZero() {
		return true
	}
	return !m.cfg.Now().Before(d.FetchedAt.Add(m.cfg.ServiceTagsRefresh))
}

// publishTags is the Set's OnInstall: it stores the document for the
// fleet with a compare-and-swap write. A stored document with a higher
// changeNumber (or the same bytes) is left alone unless this one overrode
// the update checks.
func (m *Main) publishTags(source string, raw []byte, overridden bool) {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	if err := m.publishShared(ctx, source, raw, overridden); err != nil {
		m.log.Warn("store the service tags for the fleet", "source", source, "err", err)
	}
	// Installing a document ends any hold of the source (the Set drops
	// it), also one a replica that has since gone left in the store.
	if _, err := m.store.Delete(ctx, sharedHeldKey(source), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		m.log.Warn("remove the fleet's held service-tag document", "source", source, "err", err)
	}
}

func (m *Main) publishShared(ctx context.Context, source string, raw []byte, overridden bool) error {
	doc, err := servicetag.Parse(source, raw)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	d := sharedDoc{Source: source, ChangeNumber: doc.ChangeNumber, SHA256: hex.EncodeToString(sum[:]), FetchedAt: m.cfg.Now().UTC(), Overridden: overridden}
	var rev int64
	kv, err := m.store.Get(ctx, sharedKey(source))
	switch {
	case err == nil:
		var old sharedDoc
		if json.Unmarshal(kv.Value, &old) == nil && (old.SHA256 == d.SHA256 || (old.ChangeNumber > d.ChangeNumber && !overridden)) {
			return nil
		}
		rev = kv.ModRevision
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	d.Gzip = gzipBytes(raw)
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = m.store.Create(ctx, sharedKey(source), b)
	} else {
		_, err = m.store.Update(ctx, sharedKey(source), b, rev)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
		return nil // another writer won; its document arrives through the watch
	}
	if err == nil {
		m.log.Info("stored the service tags for the fleet", "source", d.Source, "changeNumber", d.ChangeNumber, "bytes", len(raw), "gzip", len(d.Gzip))
	}
	return err
}

func decodeShared(b []byte, d *sharedDoc) ([]byte, error) {
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("decode stored service tags: %w", err)
	}
	raw, err := gunzipDoc(d.Gzip)
	if err != nil {
		return nil, fmt.Errorf("decode stored service tags of %q: %w", d.Source, err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != d.SHA256 {
		return nil, fmt.Errorf("decode stored service tags of %q: checksum mismatch", d.Source)
	}
	return raw, nil
}

// gzipBytes is raw gzipped, as the fleet stores documents.
func gzipBytes(raw []byte) []byte {
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return zb.Bytes()
}

// gunzipDoc inflates a stored document, at most maxSharedDoc bytes.
func gunzipDoc(z []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxSharedDoc+1))
	if err == nil && len(raw) > maxSharedDoc {
		err = fmt.Errorf("more than %d bytes", maxSharedDoc)
	}
	return raw, err
}

// installShared offers a stored document to the Set: Install (the update
// checks apply), or AcceptDocument when its publisher overrode them.
func (m *Main) installShared(kv store.KV, sources map[string]string) {
	src, ok := sources[kv.Key]
	if !ok {
		return // a claim, or a source this replica does not have
	}
	var d sharedDoc
	raw, err := decodeShared(kv.Value, &d)
	if err == nil {
		if d.Overridden {
			_, err = m.tags.AcceptDocument(src, raw)
		} else {
			_, err = m.tags.Install(src, raw)
		}
	}
	if err != nil {
		m.log.Warn("stored service tags not installed; keeping the document in force", "key", kv.Key, "err", err)
	}
}

// sourcesByKey maps stored keys to the Set's sources.
func (m *Main) sourcesByKey() map[string]string {
	out := map[string]string{}
	for _, s := range m.tags.Sources() {
		out[sharedKey(s)] = s
	}
	return out
}

// loadSharedTags installs the stored documents and pins at start
// (bounded by ctx).
func (m *Main) loadSharedTags(ctx context.Context) {
	srcs := m.sourcesByKey()
	for key := range srcs {
		if kv, err := m.store.Get(ctx, key); err == nil {
			m.installShared(kv, srcs)
		}
	}
	if kv, err := m.store.Get(ctx, sharedPinsKey); err == nil {
		m.applySharedPins(kv)
	}
}

// sharedEvent applies one stored key: a source's document or the pins
// (held documents are read on demand).
func (m *Main) sharedEvent(kv store.KV, srcs map[string]string) {
	if kv.Key == sharedPinsKey {
		m.applySharedPins(kv)
		return
	}
	m.installShared(kv, srcs)
}

// watchSharedTags installs every stored document as it changes, until ctx
// ends. Losing the store keeps the documents in force (fail static).
func (m *Main) watchSharedTags(ctx context.Context) {
	srcs := m.sourcesByKey()
	var rev int64
	for ctx.Err() == nil {
		if rev == 0 {
			kvs, r, err := m.store.List(ctx, sharedTagsPrefix)
			if err != nil {
				sleepCtx(ctx, time.Second)
				continue
			}
			for _, kv := range kvs {
				m.sharedEvent(kv, srcs)
			}
			rev = r
		}
		ch, err := m.store.Watch(ctx, sharedTagsPrefix, rev)
		if err != nil {
			if errors.Is(err, store.ErrCompacted) {
				rev = 0
			}
			sleepCtx(ctx, time.Second)
			continue
		}
		for ev := range ch {
			rev = ev.KV.ModRevision
			switch {
			case ev.Type == store.EventPut:
				m.sharedEvent(ev.KV, srcs)
			case ev.KV.Key == sharedPinsKey: // deleted by hand: no pins
				if _, err := m.tags.SetPins(nil); err != nil {
					m.log.Error("clear the service-tag pins", "err", err)
				}
			}
		}
	}
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
