package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"time"
)

// LeafSpec describes a leaf certificate to issue.
type LeafSpec struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	Client     bool // add client-auth usage (server-auth is always set)
	// Organization is the subject's O; nil means {"tagwall"}. Kubernetes
	// reads it as the user's groups (system:masters: full rights).
	Organization []string
}

// Leaf is an issued certificate with its key, ready for crypto/tls.
type Leaf struct {
	TLS     tls.Certificate // the leaf followed by the issuing CA
	CertPEM []byte          // leaf then CA, PEM encoded
	KeyPEM  []byte          // PKCS#8, PEM encoded
}

// Issue signs a new leaf certificate for spec, valid from now.
func (ca *CA) Issue(spec LeafSpec, now time.Time) (*Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if spec.Client {
		usage = append(usage, x509.ExtKeyUsageClientAuth)
	}
	notAfter := now.Add(LeafValidity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	org := spec.Organization
	if org == nil {
		org = []string{"tagwall"}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: org},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     spec.DNSNames,
		IPAddresses:  spec.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	certPEM := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.CertPEM...)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	return &Leaf{TLS: pair, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// LocalhostSpec is the API server's default: localhost, 127.0.0.1 and ::1.
func LocalhostSpec() LeafSpec {
	return LeafSpec{
		CommonName: "tagwall api",
		DNSNames:   []string{"localhost"},
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
}
