package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// StoreFile is the bbolt store's name in the data dir.
const StoreFile = "tagwall.db"

// Identity lists the data-dir entries (slash-separated, relative) written
// at a server's first start or first cluster: any of them existing means
// the dir has served before. It mirrors the layout in package server's
// doc.
var Identity = []string{"token", "subscription", "tenant", "pki/ca.crt", "pki/token-signing.key", "clusters"}

// ErrEmptyStore is returned by CheckStore when the store is missing or
// empty beside an existing identity. The error is an *EmptyStoreError.
var ErrEmptyStore = errors.New("store missing or empty beside an existing identity")

// EmptyStoreError is a data dir whose store is missing (Size -1) or 0
// bytes long while Found (identity entries) exist.
type EmptyStoreError struct {
	Dir   string
	Store string   // the store file's path
	Size  int64    // -1: missing
	Found []string // identity entries present, e.g. "token", "clusters/ (3 clusters)"
}

func (e *EmptyStoreError) Error() string {
	state := "is missing"
	if e.Size == 0 {
		state = "is empty (0 bytes)"
	}
	return fmt.Sprintf("data dir %s: the store %s %s, but the dir holds an identity from an earlier start (%s): "+
		"starting would serve an empty state and every cluster would be gone. Restore %s from a backup "+
		"(made with `tagwall store backup`), or pass --allow-empty-store to start empty on purpose",
		e.Dir, e.Store, state, strings.Join(e.Found, ", "), StoreFile)
}

// Is makes errors.Is(err, ErrEmptyStore) true.
func (e *EmptyStoreError) Is(target error) bool { return target == ErrEmptyStore }

// CheckStore checks the bbolt store of dir against the identity beside it
// (see the package doc); allowEmpty disables the check. It returns nil,
// an *EmptyStoreError, or an error reading the dir.
func CheckStore(dir string, allowEmpty bool) error {
	if allowEmpty {
		return nil
	}
	store := filepath.Join(dir, StoreFile)
	size := int64(-1)
	switch fi, err := os.Stat(store); {
	case err == nil:
		size = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("check data dir %s: %w", dir, err)
	}
	if size > 0 {
		return nil
	}
	found, err := identity(dir)
	if err != nil || len(found) == 0 {
		return err
	}
	return &EmptyStoreError{Dir: dir, Store: store, Size: size, Found: found}
}

// identity returns the Identity entries present in dir; clusters/ counts
// only when it holds a cluster.
func identity(dir string) ([]string, error) {
	var found []string
	for _, rel := range Identity {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check data dir %s: %w", dir, err)
		}
		if !fi.IsDir() {
			found = append(found, rel)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("check data dir %s: %w", dir, err)
		}
		switch len(ents) {
		case 0:
		case 1:
			found = append(found, rel+"/ (1 cluster)")
		default:
			found = append(found, fmt.Sprintf("%s/ (%d clusters)", rel, len(ents)))
		}
	}
	return found, nil
}
