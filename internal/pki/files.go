package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LoadCA reads a CA from a PEM certificate file and a PEM key file.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("load ca %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("load ca key %s: %w", keyFile, err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("load ca %s: no PEM certificate", certFile)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load ca key %s: %w", keyFile, err)
	}
	ca, err := caFromDER(block.Bytes, key)
	if err != nil {
		return nil, fmt.Errorf("load ca %s: %w", certFile, err)
	}
	return ca, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, fmt.Errorf("key type %T cannot sign", k)
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("unsupported key encoding (want PKCS#8, SEC 1 or PKCS#1)")
	}
	return k, nil
}

// LoadOrCreateCA loads the CA kept as certFile and keyFile, or, when
// neither exists, makes one named commonName and writes both (the key with
// mode 0600). created reports whether a new CA was made. Exactly one of the
// two files existing is an error: tagwall never overwrites half a pair.
func LoadOrCreateCA(certFile, keyFile, commonName string, now time.Time) (ca *CA, created bool, err error) {
	certOK, keyOK := exists(certFile), exists(keyFile)
	if certOK && keyOK {
		ca, err := LoadCA(certFile, keyFile)
		return ca, false, err
	}
	if certOK != keyOK {
		return nil, false, fmt.Errorf("load ca %s: only one of the certificate and %s exists; remove it or restore the other", certFile, keyFile)
	}
	ca, err = NewCA(commonName, now)
	if err != nil {
		return nil, false, err
	}
	keyPEM, err := marshalKey(ca.Key)
	if err != nil {
		return nil, false, fmt.Errorf("save ca key %s: %w", keyFile, err)
	}
	if err := WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, false, err
	}
	if err := WriteFile(certFile, ca.CertPEM, 0o644); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// LoadOrIssue loads the key pair kept as certFile and keyFile, or, when
// neither exists (or the certificate has expired or is no longer signed by
// ca), issues a new one for spec and writes both.
func LoadOrIssue(certFile, keyFile string, ca *CA, spec LeafSpec, now time.Time) (tls.Certificate, error) {
	if exists(certFile) && exists(keyFile) {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("load certificate %s: %w", certFile, err)
		}
		if validFor(pair, ca, now) {
			return pair, nil
		}
	}
	leaf, err := ca.Issue(spec, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := WriteFile(keyFile, leaf.KeyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := WriteFile(certFile, leaf.CertPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return leaf.TLS, nil
}

// validFor reports whether pair's leaf is current and chains to ca.
func validFor(pair tls.Certificate, ca *CA, now time.Time) bool {
	if len(pair.Certificate) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now.Add(24 * time.Hour)})
	return err == nil
}

func marshalKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteFile writes data to path atomically (temporary file, then rename)
// with the given mode, creating the directory with mode 0700.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err = tmp.Chmod(mode); err == nil {
		_, err = tmp.Write(data)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
