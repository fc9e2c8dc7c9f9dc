package testutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// HTTPSClient is an HTTP client (10 s timeout) that trusts only the
// certificates in the PEM file caFile.
func HTTPSClient(tb testing.TB, caFile string) *http.Client {
	tb.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tb.Fatalf("no certificate in %s", caFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// StaticToken is an azcore.TokenCredential that always returns itself,
// valid for an hour.
type StaticToken string

// GetToken implements azcore.TokenCredential.
func (s StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// SDKOptions points Azure SDK clients at an in-process server: apiURL is
// its ARM endpoint and audience, apiURL/adfs/ its authority, and every
// request goes through transport (an HTTPSClient, say) without retries.
// apiURL may end in "/" or not.
func SDKOptions(apiURL string, transport policy.Transporter) *azarm.ClientOptions {
	base := strings.TrimSuffix(apiURL, "/")
	return &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: base + "/adfs/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: apiURL, Audience: apiURL},
			},
		},
		Transport: transport,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}}
}
