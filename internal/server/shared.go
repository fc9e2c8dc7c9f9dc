package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
	"github.com/tagwall/tagwall/internal/store"
)

// Keys of the files replicas share in distributed mode, so that any
// replica behind the load balancer answers as the same server: one admin
// token, subscription, tenant, API CA and /adfs token-signing key, and one CA and token per
// cluster (a kubeconfig from one replica works against every front door).
// They hold private keys: the etcd cluster must be access-controlled
// (client certificates) like any secret store.
const (
	sharedIdentityKey = "shared/identity"
	sharedClusterKey  = "shared/clusters/"
)

// identityFiles are the data-dir files of the shared identity; the API
// leaf certificate stays per replica (issued from the shared CA).
func (m *Main) identityFiles() []string {
	files := []string{"tenant", caCertFile, caKeyFile, tokenKeyFile}
	if m.cfg.TokenFile == "" {
		files = append(files, tokenFile)
	}
	if m.cfg.Subscription == "" {
		files = append(files, subscriptionFile)
	}
	return files
}

// shareFiles makes files (relative to dir) the same on every replica: the
// first replica to get here makes them (create) and stores them under key
// (a Create, so exactly one replica's copy wins); every other replica
// writes the stored copy over its own.
func (m *Main) shareFiles(ctx context.Context, key, dir string, files []string, create func() error) error {
	for range 2 {
		kv, err := m.store.Get(ctx, key)
		if err == nil {
			return writeSharedFiles(dir, files, kv.Value)
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
		if _, err = m.store.Create(ctx, key, b); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("share files %q: %w", key, err)
		}
		// Another replica stored its copy first: take that one.
	}
	return fmt.Errorf("share files %q: the stored copy keeps changing", key)
}

// writeSharedFiles writes the stored files that differ from the local
// ones; names outside files are ignored (the store never picks paths).
func writeSharedFiles(dir string, files []string, value []byte) error {
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

// shareClusterCreds is clusterCreds.share: a cluster's CA and stand-in
// token, stored under shared/clusters/<hash of the lower-cased id>.
func (m *Main) shareClusterCreds(clusterID, dir string, create func() error) error {
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	key := sharedClusterKey + filepath.Base(clusterDir("", clusterID))
	return m.shareFiles(ctx, key, dir, []string{"ca.crt", "ca.key", "token"}, create)
}
