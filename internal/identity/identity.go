package identity

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tagwall/tagwall/internal/pki"
)

// Files in the data dir, relative to it (slash-separated).
const (
	TokenFile        = "token"
	SubscriptionFile = "subscription"
	TenantFile       = "tenant"
	CACertFile       = "pki/ca.crt"
	CAKeyFile        = "pki/ca.key"
	APICertFile      = "pki/api.crt"
	APIKeyFile       = "pki/api.key"
	// TokenKeyFile holds the key that signs the access tokens of /adfs
	// (made by package authn, shared like the rest of the identity).
	TokenKeyFile = "pki/token-signing.key"
)

// ErrTokenFileMode is returned when Config.TokenFile can be read by group
// or others (mode & 0o044 != 0).
var ErrTokenFileMode = errors.New("token file is readable by other users")

// Config says where the identity lives and what the operator supplies.
type Config struct {
	DataDir      string // required
	TokenFile    string // the admin token from this file (mode 0600) instead of the data dir's
	Subscription string // the default subscription instead of a generated one
	TLSCertFile  string // the API certificate chain instead of the generated CA and leaf
	TLSKeyFile   string
	Logger       *slog.Logger // nil: discard
	Now          func() time.Time
}

// Identity is the loaded server identity.
type Identity struct {
	Token, Subscription, Tenant string
	// Cert serves the API; CAFile is the PEM file clients verify it with
	// (the generated CA, or the operator's chain file itself).
	Cert   tls.Certificate
	CAFile string
}

// Load reads the identity from cfg.DataDir, creating what is missing. It
// never overwrites an existing file.
func Load(cfg Config) (*Identity, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	id := &Identity{}
	var err error
	if id.Token, err = cfg.loadToken(); err != nil {
		return nil, err
	}
	if id.Subscription = cfg.Subscription; id.Subscription == "" {
		if id.Subscription, _, err = ReadOrCreate(cfg.path(SubscriptionFile), NewGUID); err != nil {
			return nil, err
		}
	}
	if id.Tenant, _, err = ReadOrCreate(cfg.path(TenantFile), NewGUID); err != nil {
		return nil, err
	}
	if id.Cert, id.CAFile, err = cfg.loadAPICert(); err != nil {
		return nil, err
	}
	return id, nil
}

// SharedFiles are the data-dir files every replica must hold the same copy
// of: the tenant, the token-signing key, and whichever of the token, the
// subscription and the API CA the operator did not supply. The API leaf
// stays per replica (issued from the shared CA). With TLSCertFile there is
// no tagwall CA for the API: the operator's certificate is the identity.
func (cfg Config) SharedFiles() []string {
	files := []string{TenantFile, TokenKeyFile}
	if cfg.TLSCertFile == "" {
		files = append(files, CACertFile, CAKeyFile)
	}
	if cfg.TokenFile == "" {
		files = append(files, TokenFile)
	}
	if cfg.Subscription == "" {
		files = append(files, SubscriptionFile)
	}
	return files
}

func (cfg Config) path(rel string) string {
	return filepath.Join(cfg.DataDir, filepath.FromSlash(rel))
}

// loadToken returns the admin token: from TokenFile, else the data dir's
// token file (generated at first start).
func (cfg Config) loadToken() (string, error) {
	if cfg.TokenFile != "" {
		return ReadTokenFile(cfg.TokenFile)
	}
	tok, created, err := ReadOrCreate(cfg.path(TokenFile), NewToken)
	if created {
		cfg.Logger.Info("generated the admin token", "file", cfg.path(TokenFile))
	}
	return tok, err
}

// ReadTokenFile reads an operator's admin token file. It refuses a file
// that group or others can read (ErrTokenFileMode) and an empty one.
func ReadTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read token file %s: %w", path, err)
	}
	if mode := fi.Mode().Perm(); mode&0o044 != 0 {
		return "", fmt.Errorf("read token file %s: mode %04o: %w; run chmod 600 %s", path, mode, ErrTokenFileMode, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token file %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("read token file %s: empty", path)
	}
	return tok, nil
}

// loadAPICert returns the API's certificate and the CA file clients use.
func (cfg Config) loadAPICert() (tls.Certificate, string, error) {
	if cfg.TLSCertFile != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return tls.Certificate{}, "", fmt.Errorf("load api certificate %s: %w", cfg.TLSCertFile, err)
		}
		// The chain file verifies itself when it ends in its CA (or is
		// self-signed); otherwise clients need the system roots.
		return pair, cfg.TLSCertFile, nil
	}
	now := cfg.Now()
	ca, created, err := pki.LoadOrCreateCA(cfg.path(CACertFile), cfg.path(CAKeyFile), "tagwall api ca", now)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if created {
		cfg.Logger.Info("generated the API CA", "file", cfg.path(CACertFile))
	}
	pair, err := pki.LoadOrIssue(cfg.path(APICertFile), cfg.path(APIKeyFile), ca, pki.LocalhostSpec(), now)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return pair, cfg.path(CACertFile), nil
}

// ReadOrCreate returns the trimmed content of path, or writes make() there
// (mode 0600) when it does not exist. An existing empty file is an error.
func ReadOrCreate(path string, make func() (string, error)) (value string, created bool, err error) {
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

// NewToken returns 32 random bytes, hex-encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// NewGUID returns a random UUID string.
func NewGUID() (string, error) { return uuid.NewString(), nil }
