package kubeapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
)

// Files Start writes into Config.Dir.
const (
	fileCA         = "ca.crt"
	fileServing    = "apiserver.crt"
	fileServingKey = "apiserver.key"
	fileSAKey      = "sa.key"
	fileSAPub      = "sa.pub"
	fileLog        = "kube-apiserver.log"
)

// MastersGroup is the Kubernetes group with every right (as AKS's
// clusterAdmin and, without Entra ID integration, clusterUser certificates).
const MastersGroup = "system:masters"

// MonitoringGroup is the Kubernetes group that kube-apiserver's default
// RBAC binds to the system:monitoring ClusterRole: the health and metrics
// endpoints (/livez, /readyz, /healthz, /metrics) and nothing else, what
// AKS's cluster monitoring user is for.
const MonitoringGroup = "system:monitoring"

// ClientCert is a client certificate and key in PEM, for a kubeconfig.
type ClientCert struct {
	CertPEM, KeyPEM []byte
}

// IssueClient issues a client certificate for user in groups, signed by ca
// (the CA the apiserver's --client-ca-file names).
func IssueClient(ca *pki.CA, user string, groups []string, now time.Time) (ClientCert, error) {
	leaf, err := ca.Issue(pki.LeafSpec{CommonName: user, Client: true, Organization: groups}, now)
	if err != nil {
		return ClientCert{}, fmt.Errorf("issue kube client certificate %q: %w", user, err)
	}
	return ClientCert{CertPEM: leaf.CertPEM, KeyPEM: leaf.KeyPEM}, nil
}

// writeCerts writes the CA, a serving certificate for names (plus
// loopback) and, unless it exists, the service-account key pair.
func writeCerts(dir string, ca *pki.CA, names []string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create kube-apiserver dir %s: %w", dir, err)
	}
	spec := pki.LeafSpec{CommonName: "kube-apiserver", DNSNames: append([]string{"localhost", "kubernetes", "kubernetes.default"}, names...),
		IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	leaf, err := ca.Issue(spec, now)
	if err != nil {
		return fmt.Errorf("issue kube-apiserver serving certificate: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{{fileCA, ca.CertPEM}, {fileServing, leaf.CertPEM}, {fileServingKey, leaf.KeyPEM}}
	for _, f := range files {
		if err := pki.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return err
		}
	}
	return writeSAKey(dir)
}

// writeSAKey makes the service-account signing key once: tokens signed
// with it must stay valid across restarts.
func writeSAKey(dir string) error {
	keyPath := filepath.Join(dir, fileSAKey)
	if _, err := os.Stat(keyPath); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", keyPath, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode service-account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encode service-account public key: %w", err)
	}
	if err := pki.WriteFile(filepath.Join(dir, fileSAPub), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		return err
	}
	return pki.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}
