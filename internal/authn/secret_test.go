package authn

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestSecretsAreSafeArguments: no client secret starts with '-', so
// "az login -p SECRET" (what tagwall az-env runs) never reads it as an
// option. One derived admin secret in 64 used to: the CI run of the real-az
// seed test that failed with "argument --password/-p: expected one
// argument".
func TestSecretsAreSafeArguments(t *testing.T) {
	dashed := 0
	for i := range 2000 {
		_, s := DeriveAdmin(fmt.Sprint("token-", i))
		if strings.HasPrefix(s, "-") {
			t.Fatalf("DeriveAdmin(token-%d) secret %q starts with '-'", i, s)
		}
		if len(s) != 43 {
			t.Fatalf("secret %q: %d characters, want 43", s, len(s))
		}
		n, err := newSecret()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(n, "-") {
			t.Fatalf("newSecret %q starts with '-'", n)
		}
	}
	// The rewrite is what keeps them safe: about 31 of 2000 base64url
	// encodings would start with '-'.
	for i := range 2000 {
		b := []byte{byte(i), byte(i >> 8), 1, 2, 3}
		if strings.HasPrefix(base64.RawURLEncoding.EncodeToString(b), "-") {
			dashed++
			if s := encodeSecret(b); s[0] != '0' || s[1:] != base64.RawURLEncoding.EncodeToString(b)[1:] {
				t.Fatalf("encodeSecret(%x) = %q", b, s)
			}
		}
	}
	if dashed == 0 {
		t.Fatal("no input exercised the rewrite")
	}
}
