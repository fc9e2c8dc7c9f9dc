package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store"
)

// Share makes files (relative to dir, slash-separated) the same on every
// replica that shares st: the first replica to get here makes them
// (create) and stores them under key (a Create, so exactly one replica's
// copy wins); every other replica writes the stored copy over its own.
// The stored value holds private keys: the store must be access-controlled
// like any secret store.
func Share(ctx context.Context, st store.Store, key, dir string, files []string, create func() error) error {
	for range 2 {
		kv, err := st.Get(ctx, key)
		if err == nil {
			if err := checkComplete(key, files, kv.Value); err != nil {
				return err
			}
			return WriteShared(dir, files, kv.Value)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read shared files %q: %w", key, err)
		}
		if err := create(); err != nil {
			return err
		}
		content := map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
			if err != nil {
				return fmt.Errorf("share files %q: %w", key, err)
			}
			content[f] = b
		}
		b, err := json.Marshal(content)
		if err != nil {
			return fmt.Errorf("share files %q: %w", key, err)
		}
		if _, err = st.Create(ctx, key, b); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("share files %q: %w", key, err)
		}
		// Another replica stored its copy first: take that one.
	}
	return fmt.Errorf("share files %q: the stored copy keeps changing", key)
}

// ErrIncomplete is returned by Share when the stored copy lacks a file
// this replica needs: replicas were started with different flags (one with
// --tls-cert, --token-file or --subscription, another without), which
// would give the fleet two identities.
var ErrIncomplete = errors.New("the stored copy lacks files this replica needs")

// checkComplete reports ErrIncomplete, naming the missing files, when the
// stored value does not hold every one of files.
func checkComplete(key string, files []string, value []byte) error {
	var content map[string][]byte
	if err := json.Unmarshal(value, &content); err != nil {
		return fmt.Errorf("decode shared files %q: %w", key, err)
	}
	var missing []string
	for _, f := range files {
		if _, ok := content[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("share files %q: %w: %v (start every replica with the same --tls-cert, --token-file and --subscription choice)", key, ErrIncomplete, missing)
	}
	return nil
}

// WriteShared writes the stored files (value, as Share stores them) that
// differ from the local ones; names outside files are ignored (the store
// never picks paths).
func WriteShared(dir string, files []string, value []byte) error {
	var content map[string][]byte
	if err := json.Unmarshal(value, &content); err != nil {
		return fmt.Errorf("decode shared files: %w", err)
	}
	for name, b := range content {
		if !slices.Contains(files, name) {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, b) {
			continue
		}
		if err := pki.WriteFile(path, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
