package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// signingKey is the token-signing key and its key id.
type signingKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

// loadOrCreateKey reads the PEM EC key at path, or creates a P-256 key
// there (mode 0600) when the file does not exist.
func loadOrCreateKey(path string) (*signingKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key %s: %w", path, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("read signing key %s: no PEM block", path)
	}
	priv, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("read signing key %s: %w", path, err)
	}
	if priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("read signing key %s: want a P-256 key", path)
	}
	return newSigningKey(priv)
}

func createKey(path string) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("create signing key %s: %w", path, err)
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("create signing key %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create signing key %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create signing key %s: %w", path, err)
	}
	err = pem.Encode(f, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create signing key %s: %w", path, err)
	}
	return newSigningKey(priv)
}

func newSigningKey(priv *ecdsa.PrivateKey) (*signingKey, error) {
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	sum := sha256.Sum256(der)
	return &signingKey{priv: priv, kid: base64.RawURLEncoding.EncodeToString(sum[:12])}, nil
}

// jwk is the public key as a JSON Web Key (RFC 7517).
func (k *signingKey) jwk() map[string]string {
	pub, err := k.priv.PublicKey.ECDH()
	if err != nil {
		return nil
	}
	raw := pub.Bytes() // 0x04 || X || Y
	return map[string]string{
		"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": k.kid,
		"x": base64.RawURLEncoding.EncodeToString(raw[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(raw[33:]),
	}
}
