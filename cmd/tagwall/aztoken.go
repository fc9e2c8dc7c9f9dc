package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tokenRefreshMargin is how long before expires_on msal (1.21, the
// version az 2.45 ships) treats a cached access token as expired; az-env
// logs in again inside the same margin.
const tokenRefreshMargin = 5 * time.Minute

// msalTokenCache is the part of az's msal_token_cache.json az-env reads:
// access tokens by cache key, each with its client and expiry (epoch
// seconds as a string, as msal writes them).
type msalTokenCache struct {
	AccessToken map[string]struct {
		ClientID  string `json:"client_id"`
		ExpiresOn string `json:"expires_on"`
	} `json:"AccessToken"`
}

// cachedTokenFresh reports whether az's token cache in dir holds an access
// token for clientID that is still valid tokenRefreshMargin after now. A
// missing or unreadable cache, or one with no such token, is not fresh.
func cachedTokenFresh(dir, clientID string, now time.Time) bool {
	b, err := os.ReadFile(filepath.Join(dir, "msal_token_cache.json"))
	if err != nil {
		return false
	}
	var c msalTokenCache
	if json.Unmarshal(b, &c) != nil {
		return false
	}
	for _, at := range c.AccessToken {
		if !strings.EqualFold(at.ClientID, clientID) {
			continue
		}
		exp, err := strconv.ParseInt(strings.TrimSpace(at.ExpiresOn), 10, 64)
		if err == nil && time.Unix(exp, 0).After(now.Add(tokenRefreshMargin)) {
			return true
		}
	}
	return false
}
