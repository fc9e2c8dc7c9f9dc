package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// newSecret returns a client secret: 32 random bytes, encodeSecret.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client secret: %w", err)
	}
	return encodeSecret(b), nil
}

// encodeSecret is b in base64url, except that a leading '-' is written
// '0': a secret is passed as a command-line argument ("az login -p
// SECRET"), where a leading '-' reads as an option and az refuses it
// ("argument --password/-p: expected one argument"), one secret in 64.
// The change costs a negligible part of one character's 6 bits.
func encodeSecret(b []byte) string {
	s := base64.RawURLEncoding.EncodeToString(b)
	if s != "" && s[0] == '-' {
		s = "0" + s[1:]
	}
	return s
}

// hashSecret returns a new random salt and SHA-256(salt || secret), hex.
func hashSecret(secret string) (salt, sum string, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generate salt: %w", err)
	}
	salt = hex.EncodeToString(b)
	return salt, saltedSum(salt, secret), nil
}

func saltedSum(salt, secret string) string {
	h := sha256.New()
	h.Write([]byte(salt))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// secretMatches reports whether secret hashes to sum under salt, in
// constant time.
func secretMatches(salt, sum, secret string) bool {
	got := saltedSum(salt, secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(sum)) == 1
}

// DeriveAdmin returns the administrator service principal's client id and
// secret, derived from the admin token with HMAC-SHA256: whoever holds the
// token can always recompute them, and the server stores neither (only the
// secret's salted hash).
func DeriveAdmin(adminToken string) (clientID, secret string) {
	mac := func(label string) []byte {
		m := hmac.New(sha256.New, []byte(adminToken))
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	id := mac("tagwall admin service principal id")[:16]
	id[6] = id[6]&0x0f | 0x50 // version 5-style
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	clientID = fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
	return clientID, encodeSecret(mac("tagwall admin service principal secret"))
}
