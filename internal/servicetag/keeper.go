package servicetag

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Keeper keeps the last good Catalog of a Source in force. Current is
// lock-free (an atomic pointer); Refresh and LoadCache are serialised. A
// Keeper must not be copied after first use. A Keeper has no schedule of
// its own: a Set runs one loop, with one backoff policy, for all of its
// Keepers; Refresh is for a single fetch (the CLI, tests).
type Keeper struct {
	src       Source
	cacheFile string
	onChange  func(old, new *Catalog)

	cur atomic.Pointer[Catalog]

	mu  sync.Mutex // serialises installs; guards sum and dataErr
	sum [sha256.Size]byte
	// dataErr is why the last document the source returned was rejected
	// (nil when it was accepted); a later notModified repeats it.
	dataErr error

	stmu   sync.Mutex
	status Status
}

// Status reports the Keeper's state.
type Status struct {
	Source       string
	Cloud        string // of the document in force
	ChangeNumber int64  // of the document in force; 0 when none
	Tags         int    // number of tags in force
	LastSuccess  time.Time
	LastAttempt  time.Time
	LastChange   time.Time // when a new document was last put in force
	LastError    error     // of the last attempt; nil after a success
	CacheError   error     // of the last cache write; the document stays in force
}

// KeeperOption configures a Keeper.
type KeeperOption func(*Keeper)

// WithCacheFile makes the Keeper write every document it puts in force to
// path (atomically, mode 0600) and lets LoadCache read it back at start.
func WithCacheFile(path string) KeeperOption { return func(k *Keeper) { k.cacheFile = path } }

// WithOnChange registers fn, called after a new Catalog is put in force
// (old is nil the first time). fn runs on the refreshing goroutine, with
// refreshes serialised; it must not call Refresh or LoadCache.
func WithOnChange(fn func(old, new *Catalog)) KeeperOption {
	return func(k *Keeper) { k.onChange = fn }
}

// NewKeeper returns a Keeper with no document in force. src may be nil for
// a Keeper fed only by LoadCache.
func NewKeeper(src Source, opts ...KeeperOption) *Keeper {
	k := &Keeper{src: src}
	for _, o := range opts {
		o(k)
	}
	if src != nil {
		k.status.Source = src.String()
	}
	return k
}

// Current returns the Catalog in force, or nil when none has loaded.
func (k *Keeper) Current() *Catalog { return k.cur.Load() }

// Status returns the Keeper's state.
func (k *Keeper) Status() Status {
	k.stmu.Lock()
	defer k.stmu.Unlock()
	return k.status
}

// Refresh fetches, parses and validates; on success the new document is
// put in force. A lower changeNumber than the one in force is rejected
// (ErrRegression) unless force is true. On any error the previous Catalog
// stays in force and Status records the error. changed is false when the
// source reported no change or returned the document already in force. When
// the source reports notModified after its last document was rejected, the
// rejection is returned again.
func (k *Keeper) Refresh(ctx context.Context, force bool) (changed bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	start := time.Now()
	if k.src == nil {
		err = fmt.Errorf("refresh service tags: %w", ErrNoSource)
		k.record(start, err)
		return false, err
	}
	data, notModified, err := k.src.Fetch(ctx)
	switch {
	case err != nil:
	case notModified:
		err = k.dataErr // the source still serves the document rejected last time
	default:
		changed, err = k.install(k.src.String(), data, force, true)
		k.dataErr = err
	}
	k.record(start, err)
	return changed, err
}

// LoadCache puts the document in the cache file in force, as the first step
// at start. It returns an error wrapping fs.ErrNotExist when there is no
// cache yet, and an error when there is no cache file configured. It obeys
// the same regression rule as Refresh (unforced).
func (k *Keeper) LoadCache() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cacheFile == "" {
		return fmt.Errorf("load service-tag cache: no cache file configured")
	}
	data, err := os.ReadFile(k.cacheFile)
	if err != nil {
		return fmt.Errorf("load service-tag cache: %w", err)
	}
	if _, err := k.install(k.cacheFile, data, false, false); err != nil {
		return fmt.Errorf("load service-tag cache: %w", err)
	}
	return nil
}

// install parses data and puts it in force. k.mu must be held.
func (k *Keeper) install(name string, data []byte, force, writeCache bool) (bool, error) {
	sum := sha256.Sum256(data)
	old := k.cur.Load()
	if old != nil && sum == k.sum {
		return false, nil
	}
	doc, err := Parse(name, data)
	if err != nil {
		return false, err
	}
	if old != nil && doc.ChangeNumber < old.doc.ChangeNumber && !force {
		return false, fmt.Errorf("refresh service tags from %q: %w from %d to %d (force to accept)",
			name, ErrRegression, old.doc.ChangeNumber, doc.ChangeNumber)
	}
	return k.put(data, sum, doc, writeCache), nil
}

// put puts doc (parsed and vetted from data, whose SHA-256 is sum) in
// force, writing data to the cache file when writeCache is set. It reports
// false when data is the document already in force. k.mu must be held.
func (k *Keeper) put(data []byte, sum [sha256.Size]byte, doc *Document, writeCache bool) bool {
	old := k.cur.Load()
	if old != nil && sum == k.sum {
		return false
	}
	cat := NewCatalog(doc)
	k.cur.Store(cat)
	k.sum = sum
	var cacheErr error
	if writeCache && k.cacheFile != "" {
		cacheErr = writeFileAtomic(k.cacheFile, data)
	}
	k.stmu.Lock()
	k.status.Cloud, k.status.ChangeNumber, k.status.Tags = doc.Cloud, doc.ChangeNumber, len(doc.Tags)
	k.status.LastChange = time.Now()
	if writeCache {
		k.status.CacheError = cacheErr
	}
	k.stmu.Unlock()
	if k.onChange != nil {
		k.onChange(old, cat)
	}
	return true
}

// record notes the outcome of one refresh attempt.
func (k *Keeper) record(start time.Time, err error) {
	k.stmu.Lock()
	defer k.stmu.Unlock()
	k.status.LastAttempt = start
	k.status.LastError = err
	if err == nil {
		k.status.LastSuccess = start
	}
}

// writeFileAtomic writes data to a temporary file beside path and renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write service-tag cache %q: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write service-tag cache %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write service-tag cache %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write service-tag cache %q: %w", path, err)
	}
	return nil
}
