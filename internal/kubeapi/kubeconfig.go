package kubeapi

import (
	"encoding/base64"
	"fmt"
)

// KubeconfigSpec is what one kubeconfig with a client certificate holds.
type KubeconfigSpec struct {
	Context    string // context, cluster and user entry name
	Server     string // https://host:port (the front door)
	ServerName string // tls-server-name: the SNI the front door routes by
	CAPEM      []byte
	Client     ClientCert
}

// Kubeconfig renders s as a kubeconfig file (YAML).
func Kubeconfig(s KubeconfigSpec) []byte {
	b64 := base64.StdEncoding.EncodeToString
	tlsName := ""
	if s.ServerName != "" {
		tlsName = fmt.Sprintf("    tls-server-name: %q\n", s.ServerName)
	}
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]q
  cluster:
    server: %[2]q
%[3]s    certificate-authority-data: %[4]s
users:
- name: %[1]q
  user:
    client-certificate-data: %[5]s
    client-key-data: %[6]s
contexts:
- name: %[1]q
  context:
    cluster: %[1]q
    user: %[1]q
current-context: %[1]q
`, s.Context, s.Server, tlsName, b64(s.CAPEM), b64(s.Client.CertPEM), b64(s.Client.KeyPEM))
}
