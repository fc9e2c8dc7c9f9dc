package clustercreds

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tagwall/tagwall/internal/identity"
	"github.com/tagwall/tagwall/internal/pki"
)

// Files of one cluster's directory.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
	TokenFile  = "token"
	idFile     = "id" // the resource id, for an operator reading the dir
)

// SharedFiles are the files of a cluster's directory that replicas share.
var SharedFiles = []string{CACertFile, CAKeyFile, TokenFile}

// ShareFunc makes a cluster's files (dir, SharedFiles) the same on every
// replica; create makes them locally when no replica has yet.
type ShareFunc func(clusterID, dir string, create func() error) error

// Cred is one cluster's credentials.
type Cred struct {
	CA    *pki.CA
	Token string
}

// Store makes and caches cluster credentials under a base directory.
type Store struct {
	dir   string
	now   func() time.Time
	share ShareFunc // nil: one process owns the data dir

	mu    sync.Mutex
	cache map[string]*Cred // by lower-cased resource id
	// making runs one making of a cluster's credentials at a time, by id,
	// without the cache's lock: one slow cluster (a share through etcd, a
	// CA key) does not hold up the others.
	making singleflight.Group
}

// New returns a Store keeping credentials under dir. share is nil except
// in the distributed mode; now nil means time.Now.
func New(dir string, now func() time.Time, share ShareFunc) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{dir: dir, now: now, share: share, cache: map[string]*Cred{}}
}

// Dir is the directory of a cluster's credentials under base: a hash of
// its lower-cased resource id (ids are case-insensitive and hold slashes).
func Dir(base, clusterID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(clusterID)))
	return filepath.Join(base, hex.EncodeToString(sum[:12]))
}

// Get returns the cluster's credentials, making them on first use.
func (s *Store) Get(clusterID string) (*Cred, error) {
	key := strings.ToLower(clusterID)
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	v, err, _ := s.making.Do(key, func() (any, error) { return s.load(clusterID, key) })
	if err != nil {
		return nil, err
	}
	return v.(*Cred), nil
}

// load makes or reads the cluster's credentials and caches them; one at a
// time per key (making).
func (s *Store) load(clusterID, key string) (*Cred, error) {
	dir := Dir(s.dir, clusterID)
	if s.share != nil {
		if err := s.share(clusterID, dir, func() error { _, err := s.make(dir); return err }); err != nil {
			return nil, fmt.Errorf("cluster credentials %q: %w", clusterID, err)
		}
	}
	c, err := s.make(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster credentials %q: %w", clusterID, err)
	}
	_ = pki.WriteFile(filepath.Join(dir, idFile), []byte(clusterID+"\n"), 0o600)
	s.mu.Lock()
	s.cache[key] = c
	s.mu.Unlock()
	return c, nil
}

// Forget drops a deleted cluster's credentials: the cached ones and its
// directory, so a cluster created again under the same id gets a new CA
// and token and no kubeconfig of the deleted one works on it.
func (s *Store) Forget(clusterID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, strings.ToLower(clusterID))
	if err := os.RemoveAll(Dir(s.dir, clusterID)); err != nil {
		return fmt.Errorf("forget cluster credentials %q: %w", clusterID, err)
	}
	return nil
}

// make loads the CA and token in dir, creating what is missing.
func (s *Store) make(dir string) (*Cred, error) {
	ca, _, err := pki.LoadOrCreateCA(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile), "tagwall cluster ca", s.now())
	if err != nil {
		return nil, err
	}
	tok, _, err := identity.ReadOrCreate(filepath.Join(dir, TokenFile), identity.NewToken)
	if err != nil {
		return nil, err
	}
	return &Cred{CA: ca, Token: tok}, nil
}
