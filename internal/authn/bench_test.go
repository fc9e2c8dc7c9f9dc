package authn

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAuthenticate measures the per-request cost of an ARM call's
// authentication: a JWT (ES256 verify + principal lookup) versus the
// static admin token.
func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b)
	tok, _, err := f.svc.Issue(f.scoped.ClientID, f.base)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, token string }{{"jwt", tok}, {"static", adminTok}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, f.base+"/subscriptions", nil)
			req.TLS = &tls.ConnectionState{}
			req.Host = strings.TrimPrefix(f.base, "https://")
			req.Header.Set("Authorization", "Bearer "+bc.token)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.authenticator.Authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTokenEndpoint measures one client-credentials grant in
// process: form parse, secret hash check, signing.
func BenchmarkTokenEndpoint(b *testing.B) {
	f := newFixture(b)
	h := f.svc.Wrap(http.NotFoundHandler(), f.authenticator)
	body := msalForm(f.scoped.ClientID, f.scopedSecret, f.base+"//.default").Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, f.base+"/adfs/oauth2/token", strings.NewReader(body))
		req.TLS = &tls.ConnectionState{}
		req.Host = strings.TrimPrefix(f.base, "https://")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d %s", w.Code, w.Body)
		}
	}
}
