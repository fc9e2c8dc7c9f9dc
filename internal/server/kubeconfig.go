package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/kubeapi"
	"github.com/tagwall/tagwall/internal/state"
)

// kubeconfig is the subset of a client-go kubeconfig that tagwall writes.
type kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion"`
	Kind           string         `yaml:"kind"`
	Clusters       []namedCluster `yaml:"clusters"`
	Contexts       []namedContext `yaml:"contexts"`
	CurrentContext string         `yaml:"current-context"`
	Preferences    struct{}       `yaml:"preferences"`
	Users          []namedUser    `yaml:"users"`
}

type namedCluster struct {
	Name    string      `yaml:"name"`
	Cluster clusterInfo `yaml:"cluster"`
}

type clusterInfo struct {
	Server                   string `yaml:"server"`
	TLSServerName            string `yaml:"tls-server-name,omitempty"`
	CertificateAuthorityData string `yaml:"certificate-authority-data,omitempty"` // base64 PEM, as client-go reads it
}

type namedContext struct {
	Name    string      `yaml:"name"`
	Context contextInfo `yaml:"context"`
}

type contextInfo struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user"`
}

type namedUser struct {
	Name string   `yaml:"name"`
	User userInfo `yaml:"user"`
}

type userInfo struct {
	Token                 string `yaml:"token,omitempty"`
	ClientCertificateData string `yaml:"client-certificate-data,omitempty"`
	ClientKeyData         string `yaml:"client-key-data,omitempty"`
}

// Kubeconfig builds the kubeconfig that listClusterUserCredential,
// listClusterAdminCredential and listClusterMonitoringUserCredential return
// (api.Config.Kubeconfig); its user is <cred>_<resource group>_<name>.
//
// The server is the front door (https://<gateway host:port>), not the
// cluster's FQDN: the FQDN does not resolve anywhere, and the front door
// routes by SNI. tls-server-name makes kubectl (client-go) send the FQDN
// as SNI and verify the certificate against it while dialing the front
// door's address, so no DNS entry is needed. The CA is the cluster's own CA
// (the stand-in's), or the CA file given with --upstream ID=HOST:PORT,ca=FILE
// for a cluster served by a real kube-apiserver (whose certificate must then
// carry the FQDN as a SAN). The user is a bearer token the stand-in accepts
// (the stand-in has no authorization: every credential may do what it
// serves), or, with --kube-apiserver, a client certificate: user and admin
// in system:masters (a cluster without Entra ID, whose user credential is
// an admin one too), the monitoring user in system:monitoring only.
func (m *Main) Kubeconfig(_ context.Context, c *state.ManagedCluster, cred api.Credential) ([]byte, error) {
	id := arm.ManagedClusterID(c.Subscription, c.ResourceGroup, c.Name)
	cc, err := m.creds.Get(id)
	if err != nil {
		return nil, fmt.Errorf("build kubeconfig for %q: %w", id, err)
	}
	caPEM := cc.CA.CertPEM
	if u, ok := m.upstreamFor(id); ok {
		caPEM = nil
		if u.CAFile != "" {
			if caPEM, err = os.ReadFile(u.CAFile); err != nil {
				return nil, fmt.Errorf("build kubeconfig for %q: read upstream ca: %w", id, err)
			}
		}
	}
	ctxName, user := c.Name, string(cred)+"_"+c.ResourceGroup+"_"+c.Name
	ui := userInfo{Token: cc.Token}
	if _, up := m.upstreamFor(id); m.kube != nil && !up {
		group := kubeapi.MastersGroup
		if cred == api.MonitoringCredential {
			group = kubeapi.MonitoringGroup
		}
		if ui, err = m.kubeClientUser(id, user, group); err != nil {
			return nil, fmt.Errorf("build kubeconfig for %q: %w", id, err)
		}
	}
	kc := kubeconfig{
		APIVersion: "v1", Kind: "Config", CurrentContext: ctxName,
		Clusters: []namedCluster{{Name: c.Name, Cluster: clusterInfo{
			Server: "https://" + m.gatewayAdvertise(), TLSServerName: strings.ToLower(c.FQDN), CertificateAuthorityData: b64(caPEM),
		}}},
		Contexts: []namedContext{{Name: ctxName, Context: contextInfo{Cluster: c.Name, User: user}}},
		Users:    []namedUser{{Name: user, User: ui}},
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(kc); err != nil {
		return nil, fmt.Errorf("build kubeconfig for %q: %w", id, err)
	}
	return buf.Bytes(), nil
}

// upstreamFor returns the --upstream that names the cluster.
func (m *Main) upstreamFor(clusterID string) (Upstream, bool) {
	for _, u := range m.cfg.Upstreams {
		if u.matches(clusterID) {
			return u, true
		}
	}
	return Upstream{}, false
}

func b64(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}
