package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tagwall/tagwall/internal/pki"
)

// Files in the data dir.
const (
	storeFile        = "tagwall.db"
	tokenFile        = "token"
	subscriptionFile = "subscription"
	caCertFile       = "pki/ca.crt"
	caKeyFile        = "pki/ca.key"
	apiCertFile      = "pki/api.crt"
	apiKeyFile       = "pki/api.key"
)

// readOrCreate returns the trimmed content of path, or writes make() there
// (mode 0600) when it does not exist.
func readOrCreate(path string, make func() (string, error)) (value string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", false, fmt.Errorf("read %s: empty file", path)
		}
		return v, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	v, err := make()
	if err != nil {
		return "", false, fmt.Errorf("create %s: %w", path, err)
	}
	if err := pki.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return v, true, nil
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func newGUID() (string, error) { return uuid.NewString(), nil }

// loadToken returns the admin token: from TokenFile, else the data dir's
// token file (generated at first start).
func (m *Main) loadToken() error {
	if m.cfg.TokenFile != "" {
		b, err := os.ReadFile(m.cfg.TokenFile)
		if err != nil {
			return fmt.Errorf("read token file: %w", err)
		}
		m.token = strings.TrimSpace(string(b))
		if m.token == "" {
			return fmt.Errorf("read token file %s: empty", m.cfg.TokenFile)
		}
		return nil
	}
	tok, created, err := readOrCreate(m.path(tokenFile), newToken)
	if created {
		m.log.Info("generated the admin token", "file", m.path(tokenFile))
	}
	m.token = tok
	return err
}

func (m *Main) loadSubscription() error {
	if m.cfg.Subscription != "" {
		m.subscription = m.cfg.Subscription
		return nil
	}
	sub, _, err := readOrCreate(m.path(subscriptionFile), newGUID)
	m.subscription = sub
	return err
}

// loadAPICert returns the API's certificate and the CA file clients use.
func (m *Main) loadAPICert() (tls.Certificate, string, error) {
	if m.cfg.TLSCertFile != "" {
		pair, err := tls.LoadX509KeyPair(m.cfg.TLSCertFile, m.cfg.TLSKeyFile)
		if err != nil {
			return tls.Certificate{}, "", fmt.Errorf("load api certificate %s: %w", m.cfg.TLSCertFile, err)
		}
		// The chain file verifies itself when it ends in its CA (or is
		// self-signed); otherwise clients need the system roots.
		return pair, m.cfg.TLSCertFile, nil
	}
	now := m.cfg.Now()
	ca, created, err := pki.LoadOrCreateCA(m.path(caCertFile), m.path(caKeyFile), "tagwall api ca", now)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if created {
		m.log.Info("generated the API CA", "file", m.path(caCertFile))
	}
	pair, err := pki.LoadOrIssue(m.path(apiCertFile), m.path(apiKeyFile), ca, pki.LocalhostSpec(), now)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return pair, m.path(caCertFile), nil
}

func (m *Main) path(rel string) string { return filepath.Join(m.cfg.DataDir, filepath.FromSlash(rel)) }

// clusterCreds makes and keeps each cluster's CA and stand-in token.
type clusterCreds struct {
	dir string
	now func() time.Time
	// share, in distributed mode, makes a cluster's files the same on
	// every replica (Main.shareClusterCreds); create makes them locally.
	share func(clusterID, dir string, create func() error) error

	mu    sync.Mutex
	cache map[string]*clusterCred
}

type clusterCred struct {
	CA    *pki.CA
	Token string
}

// clusterDir is the directory of a cluster's credentials: a hash of its
// lower-cased resource id (ids are case-insensitive and hold slashes).
func clusterDir(base, clusterID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(clusterID)))
	return filepath.Join(base, hex.EncodeToString(sum[:12]))
}

func (cc *clusterCreds) get(clusterID string) (*clusterCred, error) {
	key := strings.ToLower(clusterID)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c, ok := cc.cache[key]; ok {
		return c, nil
	}
	dir := clusterDir(cc.dir, clusterID)
	if cc.share != nil {
		err := cc.share(clusterID, dir, func() error {
			if _, _, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "tagwall cluster ca", cc.now()); err != nil {
				return err
			}
			_, _, err := readOrCreate(filepath.Join(dir, "token"), newToken)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("cluster credentials %q: %w", clusterID, err)
		}
	}
	ca, _, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "tagwall cluster ca", cc.now())
	if err != nil {
		return nil, fmt.Errorf("cluster credentials %q: %w", clusterID, err)
	}
	_ = pki.WriteFile(filepath.Join(dir, "id"), []byte(clusterID+"\n"), 0o600)
	tok, _, err := readOrCreate(filepath.Join(dir, "token"), newToken)
	if err != nil {
		return nil, fmt.Errorf("cluster credentials %q: %w", clusterID, err)
	}
	c := &clusterCred{CA: ca, Token: tok}
	cc.cache[key] = c
	return c, nil
}
