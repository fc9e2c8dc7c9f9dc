package authn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
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

// TestLegacyAdminSecret: the administrator's secret as DeriveAdmin gave it
// before it stopped starting secrets with '-' (one data dir in 64) is still
// accepted, so a copy taken then keeps working; no other principal and no
// other rewrite gets that leeway.
func TestLegacyAdminSecret(t *testing.T) {
	tok := ""
	for i := range 10_000 {
		m := hmac.New(sha256.New, []byte(fmt.Sprint("token-", i)))
		m.Write([]byte("tagwall admin service principal secret"))
		if strings.HasPrefix(base64.RawURLEncoding.EncodeToString(m.Sum(nil)), "-") {
			tok = fmt.Sprint("token-", i)
			break
		}
	}
	if tok == "" {
		t.Fatal("no token whose old admin secret starts with '-'")
	}
	f := newFixture(t)
	ctx := context.Background()
	id, secret := DeriveAdmin(tok)
	if err := f.svc.EnsureAdmin(ctx, id, secret); err != nil {
		t.Fatal(err)
	}
	legacy := "-" + secret[1:]
	if _, err := f.svc.checkSecret(ctx, id, secret); err != nil {
		t.Fatalf("the derived secret: %v", err)
	}
	if _, err := f.svc.checkSecret(ctx, id, legacy); err != nil {
		t.Fatalf("the legacy form %q of the derived secret: %v", legacy, err)
	}
	if _, err := f.svc.checkSecret(ctx, id, "-"+secret[2:]+"x"); err == nil {
		t.Fatal("another dashed secret accepted")
	}
	salt, sum, err := hashSecret("0abc")
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range []ServicePrincipal{
		{DisplayName: "app", SecretSalt: salt, SecretHash: sum},                         // not the administrator
		{DisplayName: "app", AllSubscriptions: true, SecretSalt: salt, SecretHash: sum}, // an all-subscriptions app
	} {
		if legacyAdminSecret(sp, "-abc") {
			t.Fatalf("the dashed form accepted for %+v", sp)
		}
	}
	if !legacyAdminSecret(ServicePrincipal{DisplayName: adminDisplayName, AllSubscriptions: true, SecretSalt: salt, SecretHash: sum}, "-abc") {
		t.Fatal("the administrator's dashed form refused")
	}
}
