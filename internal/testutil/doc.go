// Package testutil holds the few helpers several packages' tests share:
// the path of a real service-tag document in the repository's sibling
// shared/ directory, a PROXY protocol v2 dialer that stands in for a
// public client over loopback, an HTTPS client that trusts a CA file,
// Azure SDK client options that point at an in-process server, and a
// headless Debian chromium driven by chromedp (Browser: console errors,
// screenshots).
//
// It is for tests only: every helper that can fail takes a testing.TB
// and fails the test (t.Fatal) rather than return an error, so a missing
// shared document is a failure, never a skip (a missing chromium binary
// is the one skip: scripts/deps installs it). It imports no tagwall
// package, so any package's tests, internal or external, may import it.
package testutil
