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

// In distributed mode one replica (the holder of the claim
// "servicetags/refresh/<hash>") fetches each source, validates the
// document (the Keeper's Refresh) and stores it gzipped under
// servicetags/<hash>; every replica, the holder included, puts the stored
// document in force through its own Keeper (same parse, same validation,
// same regression rule) as soon as the watch brings it. So all replicas
// enforce the same changeNumber, and the source is fetched once per
// interval by the fleet, not once per replica.
const (
	sharedTagsPrefix = "servicetags/"
	refreshClaim     = "servicetags/refresh/"
	maxSharedDoc     = 64 << 20 // inflated size cap of a stored document
)

// sharedDoc is the stored form of one source's last good document.
type sharedDoc struct {
	Source       string    `json:"source"`
	ChangeNumber int64     `json:"changeNumber"`
	SHA256       string    `json:"sha256"` // of the raw document
	FetchedAt    time.Time `json:"fetchedAt"`
	Gzip         []byte    `json:"gzip"` // the raw document, gzipped
}

// sourceHash names a source in keys and cache files.
func sourceHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// storedDocKey is the context key carrying a stored document to Fetch.
type storedDocKey struct{}

// sharedSource is a source of a fleet's Keeper: Fetch returns the stored
// document carried by ctx (a document another replica published) or else
// fetches from the real source, remembering the bytes for publishing.
type sharedSource struct {
	upstream servicetag.Source
	hash     string

	fetched chan []byte // 1-slot: the last upstream document not yet published
}

func newSharedSource(up servicetag.Source) *sharedSource {
	return &sharedSource{upstream: up, hash: sourceHash(up.String()), fetched: make(chan []byte, 1)}
}

func (s *sharedSource) String() string { return s.upstream.String() }

func (s *sharedSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	if data, ok := ctx.Value(storedDocKey{}).([]byte); ok {
		return data, false, nil
	}
	data, notModified, err := s.upstream.Fetch(ctx)
	if err == nil && !notModified {
		select { // keep only the newest
		case <-s.fetched:
		default:
		}
		s.fetched <- data
	}
	return data, notModified, err
}

// takeFetched returns the last upstream document (nil if none since).
func (s *sharedSource) takeFetched() []byte {
	select {
	case d := <-s.fetched:
		return d
	default:
		return nil
	}
}

// sharedKeeper is one source's Keeper with its shared source.
type sharedKeeper struct {
	k   *servicetag.Keeper
	src *sharedSource
}

func (sk sharedKeeper) key() string { return sharedTagsPrefix + sk.src.hash }

// startSharedCatalogs is startCatalogs for a fleet: the local cache, then
// the stored documents (synchronously, bounded by ctx), then a watch on
// the stored documents and a claimed refresh loop per source.
func (m *Main) startSharedCatalogs(ctx context.Context) {
	for _, sk := range m.dist.shared {
		if err := sk.k.LoadCache(); err == nil {
			m.log.Info("loaded the last good service tags from the cache", "source", sk.src.String(), "changeNumber", sk.k.Status().ChangeNumber)
		}
		if kv, err := m.store.Get(ctx, sk.key()); err == nil {
			m.installShared(ctx, sk, kv)
		}
		m.wg.Go(func() { m.sharedRefreshLoop(m.ctx, sk) })
	}
	m.wg.Go(func() { m.watchSharedTags(m.ctx) })
}

// installShared puts a stored document in force through the Keeper.
func (m *Main) installShared(ctx context.Context, sk sharedKeeper, kv store.KV) {
	var d sharedDoc
	raw, err := decodeShared(kv.Value, &d)
	if err == nil {
		_, err = sk.k.Refresh(context.WithValue(ctx, storedDocKey{}, raw), false)
	}
	if err != nil {
		m.log.Warn("stored service tags rejected; keeping the last good document", "source", sk.src.String(), "err", err)
	}
}

func decodeShared(b []byte, d *sharedDoc) ([]byte, error) {
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("decode stored service tags: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(d.Gzip))
	if err != nil {
		return nil, fmt.Errorf("decode stored service tags of %q: %w", d.Source, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxSharedDoc+1))
	if err != nil || len(raw) > maxSharedDoc {
		return nil, fmt.Errorf("decode stored service tags of %q: %d bytes read: %w", d.Source, len(raw), err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != d.SHA256 {
		return nil, fmt.Errorf("decode stored service tags of %q: checksum mismatch", d.Source)
	}
	return raw, nil
}

// watchSharedTags installs every stored document as it changes, until ctx
// ends. Losing the store keeps the documents in force (fail static).
func (m *Main) watchSharedTags(ctx context.Context) {
	bykey := map[string]sharedKeeper{}
	for _, sk := range m.dist.shared {
		bykey[sk.key()] = sk
	}
	var rev int64
	for ctx.Err() == nil {
		if rev == 0 {
			kvs, r, err := m.store.List(ctx, sharedTagsPrefix)
			if err != nil {
				sleepCtx(ctx, time.Second)
				continue
			}
			for _, kv := range kvs {
				if sk, ok := bykey[kv.Key]; ok {
					m.installShared(ctx, sk, kv)
				}
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
			if sk, ok := bykey[ev.KV.Key]; ok && ev.Type == store.EventPut {
				m.installShared(ctx, sk, ev.KV)
			}
		}
	}
}

// sharedRefreshLoop refreshes the source while this replica holds its
// claim; the others look for the claim every ClaimTTL, so a dead holder's
// duty moves within about two TTLs. A new holder fetches when the stored
// document is one interval old.
func (m *Main) sharedRefreshLoop(ctx context.Context, sk sharedKeeper) {
	name := refreshClaim + sk.src.hash
	var next time.Time // zero: not holding
	retry := retryMin
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, m.cfg.ClaimTTL)
		held, err := m.dist.claims.Claim(cctx, name)
		cancel()
		if !held {
			if err != nil && ctx.Err() == nil {
				m.log.Debug("service-tag refresh claim", "source", sk.src.String(), "err", err)
			}
			next = time.Time{}
			sleepCtx(ctx, m.cfg.ClaimTTL)
			continue
		}
		now := m.cfg.Now()
		if next.IsZero() {
			next = m.nextSharedFetch(ctx, sk, now)
		}
		if wait := next.Sub(now); wait > 0 {
			sleepCtx(ctx, min(wait, m.cfg.ClaimTTL))
			continue
		}
		if _, err := sk.k.Refresh(ctx, false); err != nil {
			sk.src.takeFetched() // rejected: never publish it
			if ctx.Err() != nil {
				return
			}
			wait := min(retry, m.cfg.ServiceTagsRefresh)
			retry, next = min(retry*2, retryMax), now.Add(wait)
			m.log.Warn("service-tag refresh failed; the fleet keeps the last good document", "source", sk.src.String(),
				"loaded", sk.k.Current() != nil, "retry_in", wait.String(), "err", err)
			continue
		}
		retry, next = retryMin, now.Add(m.cfg.ServiceTagsRefresh)
		if raw := sk.src.takeFetched(); raw != nil {
			if err := m.publishShared(ctx, sk, raw, now); err != nil {
				m.log.Warn("store the service tags for the fleet", "source", sk.src.String(), "err", err)
				next = now.Add(retryMin)
			}
		}
	}
}

// nextSharedFetch is when a new holder fetches: one interval after the
// stored document was fetched, or now.
func (m *Main) nextSharedFetch(ctx context.Context, sk sharedKeeper, now time.Time) time.Time {
	kv, err := m.store.Get(ctx, sk.key())
	var d sharedDoc
	if err != nil || json.Unmarshal(kv.Value, &d) != nil || d.FetchedAt.IsZero() {
		return now
	}
	return d.FetchedAt.Add(m.cfg.ServiceTagsRefresh)
}

// publishShared stores a validated document for the fleet, with a
// compare-and-swap write; a stored document with a higher changeNumber
// (or the same bytes) is left alone.
func (m *Main) publishShared(ctx context.Context, sk sharedKeeper, raw []byte, now time.Time) error {
	doc, err := servicetag.Parse(sk.src.String(), raw)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	d := sharedDoc{Source: sk.src.String(), ChangeNumber: doc.ChangeNumber, SHA256: hex.EncodeToString(sum[:]), FetchedAt: now.UTC()}
	var rev int64
	kv, err := m.store.Get(ctx, sk.key())
	switch {
	case err == nil:
		var old sharedDoc
		if json.Unmarshal(kv.Value, &old) == nil && (old.SHA256 == d.SHA256 || old.ChangeNumber > d.ChangeNumber) {
			return nil
		}
		rev = kv.ModRevision
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	d.Gzip = zb.Bytes()
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = m.store.Create(ctx, sk.key(), b)
	} else {
		_, err = m.store.Update(ctx, sk.key(), b, rev)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
		return nil // another writer won; its document arrives through the watch
	}
	if err == nil {
		m.log.Info("stored the service tags for the fleet", "source", d.Source, "changeNumber", d.ChangeNumber, "bytes", len(raw), "gzip", len(d.Gzip))
	}
	return err
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
