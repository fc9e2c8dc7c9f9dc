package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// PublicTags is the Azure Public service-tag document most tests load.
const PublicTags = "azure-public-2025-10-13.json"

// ServiceTags returns the path of the named real service-tag document in
// shared/testdata/servicetags beside the checkout, relative to the test's
// working directory (its package directory), so a package two levels
// down gets "../../../shared/testdata/servicetags/<name>". The documents
// are never copied into the repository; a missing one fails the test.
func ServiceTags(tb testing.TB, name string) string {
	tb.Helper()
	dir := ServiceTagsDir(tb)
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("service-tag test data missing (it lives in the repo's sibling shared/): %v", err)
	}
	return p
}

// ServiceTagsDir returns the directory of the real service-tag documents
// (see SOURCES.md there) relative to the test's working directory.
func ServiceTagsDir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("find shared test data: %v", err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			tb.Fatalf("find shared test data: no go.mod above %s", wd)
		}
		root = up
	}
	rel, err := filepath.Rel(wd, filepath.Join(root, "..", "shared", "testdata", "servicetags"))
	if err != nil {
		tb.Fatalf("find shared test data: %v", err)
	}
	return rel
}
